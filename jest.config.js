/** Jest: three projects mirroring the test folders (ARCHITECTURE.md "Folders at the top"). */
const transform = { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] };
const common = {
  preset: undefined,
  testEnvironment: 'node',
  transform,
  moduleFileExtensions: ['ts', 'js', 'json'],
};
module.exports = {
  // One temp folder per run, removed at the end (tests leave nothing behind in /tmp).
  globalSetup: '<rootDir>/test/globalTmp.ts',
  globalTeardown: '<rootDir>/test/globalTmpTeardown.ts',
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...common, displayName: 'conformance', testMatch: ['<rootDir>/test/conformance/**/*.test.ts'] },
  ],
};
