// The baseline: a bare node:http server answering a small JSON body, loaded exactly like the service.
const { createServer } = require('node:http');

const body = JSON.stringify({
  id: '665f1c2e9b1e8a3f4c0d9876',
  status: 'active',
  remainingQuantity: 42,
});
const server = createServer((request, response) => {
  request.resume();
  response.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  response.end(body);
});
server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('baseline listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
