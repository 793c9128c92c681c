import { Global, Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { JobLease } from './job-lease';
import { Lease, LeaseSchema } from './schemas/lease.schema';

/** Cross-cutting: any module's periodic job asks JobLease whether this instance runs it. */
@Global()
@Module({
  imports: [MongooseModule.forFeature([{ name: Lease.name, schema: LeaseSchema }])],
  providers: [JobLease],
  exports: [JobLease],
})
export class JobsModule {}
