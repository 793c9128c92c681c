// A calibration point: bare NestJS on the Fastify adapter with one POST route (JSON body, no guards,
// no validation, no database), loaded like the service. It shows what the framework itself costs a POST.
require('reflect-metadata');
const { Body, Controller, Module, Post } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { FastifyAdapter } = require('@nestjs/platform-fastify');

class FloorController {
  post(body) {
    return { ok: true, quantity: body.quantity };
  }
}
Body()(FloorController.prototype, 'post', 0);
Reflect.decorate(
  [Post('purchase')],
  FloorController.prototype,
  'post',
  Object.getOwnPropertyDescriptor(FloorController.prototype, 'post'),
);
Reflect.decorate([Controller('floor')], FloorController);

class FloorModule {}
Reflect.decorate([Module({ controllers: [FloorController] })], FloorModule);

async function main() {
  const app = await NestFactory.create(FloorModule, new FastifyAdapter(), { logger: false });
  await app.listen(Number(process.env.PORT), '127.0.0.1');
  console.log('nest floor listening');
  process.on('SIGTERM', () => void app.close().then(() => process.exit(0)));
}

void main();
