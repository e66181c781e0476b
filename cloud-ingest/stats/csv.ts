// CSV for the centre's spreadsheets: UTF-8 with a BOM (Excel on Windows reads zh-CN then), CRLF, fields
// quoted when needed, and a cell that a spreadsheet would run as a formula (= + - @, tab, CR) prefixed
// with ' — alarm texts come from gateways and must never become a formula on the leader's PC.
export function csvCell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'number' ? (Number.isFinite(value) ? String(value) : '') : String(value);
  if (typeof value !== 'number' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return '\ufeff' + [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}
