/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  globalSetup: '<rootDir>/test/helpers/globalSetup.ts',
  globalTeardown: '<rootDir>/test/helpers/globalTeardown.ts',
  // Every HTTP test's replies are checked against openapi.yaml (see test/helpers/testApp.ts).
  setupFilesAfterEnv: ['<rootDir>/test/helpers/checkReplies.ts'],
  // Two cores: two workers keep the database and the machine responsive.
  maxWorkers: 2,
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/helpers/summaryReporter.js'],
};
