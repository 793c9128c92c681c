import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { ProductsModule } from '../products/products.module';
import { saleEventsProvider } from './events/sale-events.provider';
import { SaleEvents } from './events/sale-events';
import { SaleLifecycleService } from './sale-lifecycle.service';
import { SaleSnapshotCache } from './sale-snapshot.cache';
import { SaleStockService } from './sale-stock.service';
import { SalesController } from './sales.controller';
import { SalesScheduler } from './sales.scheduler';
import { SalesService } from './sales.service';
import { Sale, SaleSchema } from './schemas/sale.schema';

@Module({
  imports: [MongooseModule.forFeature([{ name: Sale.name, schema: SaleSchema }]), ProductsModule],
  controllers: [SalesController],
  providers: [
    saleEventsProvider,
    SalesService,
    SaleSnapshotCache,
    SaleStockService,
    SaleLifecycleService,
    SalesScheduler,
  ],
  exports: [SalesService, SaleSnapshotCache, SaleStockService, SaleEvents],
})
export class SalesModule {}
