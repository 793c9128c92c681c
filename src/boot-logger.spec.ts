import { BootLogger } from './boot-logger';

describe('BootLogger', () => {
  it('drops per-module and per-controller boot lines, keeps the rest', () => {
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const logger = new BootLogger();
      logger.log('HealthController {/api/health}:', 'RoutesResolver');
      logger.log('AppModule dependencies initialized', 'InstanceLoader');
      logger.log('Mapped {/health, GET} route', 'RouterExplorer');
      logger.log('Listening on http://localhost:5000', 'Bootstrap');
      const printed = write.mock.calls.map(([chunk]) => String(chunk)).join('');
      expect(printed).not.toMatch(/api\/health|dependencies initialized/);
      expect(printed).toMatch(/Mapped \{\/health, GET\} route/);
      expect(printed).toMatch(/Listening on/);
    } finally {
      write.mockRestore();
    }
  });
});
