/** How every project compiles TypeScript: ts-jest, without type checking (`npm run lint` checks types). */
const shared = {
  testEnvironment: 'node',
  transform: {
    '^.+\\.[tj]sx?$': [
      'ts-jest',
      { tsconfig: { allowJs: true, isolatedModules: true, module: 'commonjs', esModuleInterop: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(@middy|unpdf)/)'],
};

/** The fast suites: the units, and the port contracts on SQLite and the file system (`npm run test:unit`). */
const UNIT = ['<rootDir>/test/unit/**/*.test.ts', '<rootDir>/test/contract/**/*.test.ts'];
/** Contract suites that need the AWS protocol servers (dynalite, s3rver) belong with the rest. */
const NOT_UNIT = ['<rootDir>/test/contract/aws-adapters.test.ts'];

const projects = [
  {
    ...shared,
    displayName: 'unit',
    roots: ['<rootDir>/test'],
    testMatch: UNIT,
    testPathIgnorePatterns: ['/node_modules/', ...NOT_UNIT],
  },
  {
    ...shared,
    displayName: 'system',
    roots: ['<rootDir>/test'],
    testMatch: ['<rootDir>/test/**/*.test.ts'],
    testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/unit/', '<rootDir>/test/contract/(?!aws-adapters)'],
    // builds the dashboard the browser tests drive (kept when its sources are unchanged)
    globalSetup: '<rootDir>/test/browser/global-setup.ts',
  },
];

/** OPRAG_TESTS=unit (npm run test:unit) runs that project alone; any jest arguments still apply. */
const only = process.env.OPRAG_TESTS;

/** @type {import('jest').Config} */
module.exports = {
  // a worker per core: Jest's default (cores - 1) leaves one of two cores idle, and the main
  // process only hands out files and collects results
  maxWorkers: '100%',
  testTimeout: 30000,
  reporters: ['default', '<rootDir>/test/helpers/summary-reporter.js'],
  projects: only ? projects.filter((p) => p.displayName === only) : projects,
};
