// ESLint flat config: typescript-eslint, plus the stage boundaries of ARCHITECTURE.md:
// a stage imports shared modules and pipeline/types, never another stage; only app.ts wires.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const stages = ['receive', 'store', 'assemble', 'route', 'infer', 'encode', 'deliver', 'audit'];
const shared = ['api', 'jobs', 'cli'];

const boundaryConfigs = stages.map((stage) => ({
  files: [`src/${stage}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [
          ...stages
            .filter((s) => s !== stage)
            .map((s) => ({
              group: [`../${s}`, `../${s}/*`, `../../${s}/*`],
              message: `stage ${stage} must not import stage ${s}; meet through pipeline/types.ts`,
            })),
          ...shared.map((s) => ({
            group: [`../${s}`, `../${s}/*`],
            message: `stage ${stage} must not import ${s}`,
          })),
          { group: ['../app', '../app.ts'], message: 'only the entry points import app.ts' },
        ],
      },
    ],
  },
}));

const sharedModules = ['config', 'dicom', 'db', 'logging', 'pipeline'];
const sharedConfigs = sharedModules.map((m) => ({
  files: [`src/${m}/**/*.ts`],
  rules: {
    'no-restricted-imports': [
      'error',
      {
        patterns: [...stages, ...shared, 'app'].map((s) => ({
          group: [`../${s}`, `../${s}/*`],
          message: `shared module ${m} must not import ${s}`,
        })),
      },
    ],
  },
}));

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'bin/**',
      'test-artifacts/**',
      'jest.config.js',
      'models/**',
      'docker/**',
      '.tmp/**',
      '.tmp-*',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
      eqeqeq: ['error', 'always'],
      'no-eval': 'error',
      'no-new-func': 'error',
    },
  },
  ...boundaryConfigs,
  ...sharedConfigs,
);
