import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { AdmissionModule } from '../admission/admission.module';
import { AuthModule } from '../auth/auth.module';
import { SalesModule } from '../sales/sales.module';
import { PurchaseFastLane } from './fast-lane/purchase-fast-lane';
import { PurchaseReconciler } from './purchase-reconciler';
import { PurchaseRecordsService } from './purchase-records.service';
import { PurchasesController } from './purchases.controller';
import { PurchasesService } from './purchases.service';
import { SaleBuyersIndex } from './sale-buyers.index';
import { Purchase, PurchaseSchema } from './schemas/purchase.schema';

@Module({
  imports: [
    MongooseModule.forFeature([{ name: Purchase.name, schema: PurchaseSchema }]),
    SalesModule,
    AuthModule,
    AdmissionModule,
  ],
  controllers: [PurchasesController],
  providers: [
    PurchasesService,
    PurchaseRecordsService,
    PurchaseReconciler,
    SaleBuyersIndex,
    PurchaseFastLane,
  ],
  exports: [PurchaseRecordsService],
})
export class PurchasesModule {}
