// Load-time checks of a DL/T 645 profile point: it names its DI and format, and its scale is the format's
// decimals (XXX.XXX → 0.001), so a profile cannot silently disagree with the standard's notation.
import type { YamlSource, ConfigIssue } from '../../contract/load-yaml.js';
import type { Profile } from '../../config/profile.js';
import { formatShape } from '../drivers/dlt645/values.js';

export function dlt645PointIssues(source: Pick<YamlSource, 'issue'>, profile: Profile, index: number): ConfigIssue[] {
  const point = profile.points[index]!;
  const at = (key: string) => ['points', index, key];
  if (point.dlt645 === undefined) return [source.issue(['points', index], 'a DL/T 645 point needs "dlt645: { di, format }"')];
  const { bytes, decimals } = formatShape(point.dlt645.format);
  const issues: ConfigIssue[] = [];
  const scale = point.scale ?? profile.defaults.scale ?? 1;
  const wanted = point.dlt645.binary ? 1 : 10 ** -decimals;
  if (Math.abs(scale - wanted) > wanted * 1e-9) {
    issues.push(source.issue(at('scale'), `format ${point.dlt645.format} has ${decimals} decimal(s), so scale must be ${wanted} (got ${scale})`));
  }
  if (point.dlt645.binary && decimals > 0) issues.push(source.issue(at('dlt645'), 'a binary word has no decimals; write its format as XXXX'));
  if (point.dlt645.binary && point.dlt645.signed) issues.push(source.issue(at('dlt645'), 'a binary word is not signed'));
  if (bytes > 6) issues.push(source.issue(at('dlt645'), `format ${point.dlt645.format} is ${bytes} bytes; numbers of more than 12 digits lose precision`));
  return issues;
}
