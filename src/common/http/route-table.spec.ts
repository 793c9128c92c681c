import { RouteTable } from './route-table';

describe('RouteTable', () => {
  const table = new RouteTable();
  table.add({ url: '/api/products', method: 'GET' });
  table.add({ url: '/api/products', method: ['POST', 'HEAD'] });
  table.add({ url: '/api/sales/:id/purchase', method: 'POST' });
  table.add({ url: '/api-docs/*', method: 'GET' });
  table.add({ url: '*', method: 'OPTIONS' });

  it('lists the methods of every route that matches a path', () => {
    expect(table.allowedMethods('/api/products')).toEqual(['GET', 'HEAD', 'POST']);
    expect(table.allowedMethods('/api/sales/abc/purchase')).toEqual(['POST']);
    expect(table.allowedMethods('/api-docs/swagger-ui.css')).toEqual(['GET']);
  });

  it('matches a parameter as one whole segment and nothing else', () => {
    expect(table.allowedMethods('/api/sales/a/b/purchase')).toEqual([]);
    expect(table.allowedMethods('/api/productsx')).toEqual([]);
    expect(table.allowedMethods('/nowhere')).toEqual([]);
  });

  it('does not let a catch-all route make every path known', () => {
    expect(table.allowedMethods('/api/nowhere')).toEqual([]);
  });
});
