// Lint: typescript-eslint's recommended rules, no import cycles, and the module boundaries of
// shared/STYLE.md: web → domains → events → db → shared, domains through their index.ts only,
// ltijs only in lti/, express only in web/ and lti/, handlebars only in web/, drivers only in db/.
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';

const DOMAINS = ['lti', 'tenancy', 'courses', 'completions', 'awards', 'credentials', 'events', 'analytics', 'imports', 'exports', 'admin', 'demo'];

// Any folder of src/ may import another domain through its index.ts only.
const throughIndex = DOMAINS.flatMap((d) => [`../${d}/*`, `!../${d}/index.js`, `../../${d}/*`, `!../../${d}/index.js`]);

const restrict = (files, { paths = [], patterns = [] }) => ({
  files,
  rules: {
    'no-restricted-imports': ['error', {
      paths: paths.map((name) => ({ name, message: `${name} is not imported here (see shared/STYLE.md, Direction of dependencies).` })),
      patterns: [{ group: [...throughIndex, ...patterns], message: 'Cross this boundary through the module\'s index.ts, and only in the direction web → domains → events → db → shared.' }],
    }],
  },
});

const drivers = ['@electric-sql/pglite', 'pg'];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'test-artifacts/**', 'static/**', 'scripts/**'] },
  ...tseslint.configs.recommended,
  {
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  restrict(['src/shared/**'], { paths: ['ltijs', 'express', 'handlebars', ...drivers], patterns: ['../*', '!../shared/*'] }),
  restrict(['src/db/**'], { paths: ['ltijs', 'express', 'handlebars'], patterns: DOMAINS.map((d) => `../${d}/**`).concat(['../web/**', '../app.js']) }),
  restrict(['src/lti/**'], { paths: ['handlebars', ...drivers], patterns: ['../web/**', '../app.js'] }),
  restrict(['src/{tenancy,courses,completions,awards,credentials,events,analytics,imports,exports}/**'], { paths: ['ltijs', 'express', 'handlebars', ...drivers], patterns: ['../web/**', '../app.js'] }),
  restrict(['src/web/**'], { paths: ['ltijs', ...drivers], patterns: [] }),
  restrict(['src/admin/**', 'src/demo/**'], { paths: ['ltijs', 'express', 'handlebars', ...drivers], patterns: ['../web/*', '!../web/demo-lms.js'] }),
  restrict(['src/*.ts'], { paths: ['ltijs', 'handlebars', ...drivers], patterns: [] }),
  {
    files: ['test/**'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
