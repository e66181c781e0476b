// Lint: eslint's and typescript-eslint's recommended rules, no type-aware rules (they double the run time on a 2-core box).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'coverage/**', '.tmp/**', 'cloud-ingest/console/vendor/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly', setImmediate: 'readonly', URL: 'readonly', performance: 'readonly', AbortController: 'readonly', fetch: 'readonly', document: 'readonly', window: 'readonly', EventSource: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      eqeqeq: ['error', 'always'],
    },
  },
  // The package boundary (issue 12): the gateway and the township meet only in contract/. An installed
  // gateway ships no township code and an installed township no gateway code, so an import across fails
  // there at run time; here it fails at lint. Product code never imports tests, benches or scripts.
  ...boundary(['gateway/**', 'config/**', 'firmware-bridge/**', 'devices/**'], ['cloud-ingest'], 'gateway-side code imports the township only through contract/'),
  ...boundary(['cloud-ingest/**'], ['gateway', 'config', 'firmware-bridge', 'devices'], 'cloud-ingest imports the gateway side only through contract/'),
  ...boundary(['contract/**'], ['gateway', 'config', 'firmware-bridge', 'devices', 'cloud-ingest'], 'contract/ is what both sides import; it imports neither'),
);

/** A no-restricted-imports block: files matching `files` may not import from the top-level `folders` (nor tests, bench, scripts). */
function boundary(files, folders, message) {
  const banned = [...folders, 'tests', 'bench', 'scripts'];
  return [
    {
      files,
      rules: {
        'no-restricted-imports': ['error', { patterns: [{ group: banned.flatMap((folder) => [`../${folder}/**`, `../../${folder}/**`, `../../../${folder}/**`, `../../../../${folder}/**`]), message }] }],
      },
    },
  ];
}
