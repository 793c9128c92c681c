import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types, type ClientSession } from 'mongoose';
import { openSaleFilter } from './sale-state';
import { Sale, type StoredSale } from './schemas/sale.schema';

/**
 * Every write to a sale's stock counters. Units leave only through a conditional `$inc` guarded by
 * `remainingQuantity >= quantity` and the open-sale rule, evaluated by the database atomically with the
 * write, so no interleaving of requests or instances can take more than the stock.
 */
@Injectable()
export class SaleStockService {
  constructor(@InjectModel(Sale.name) private readonly sales: Model<Sale>) {}

  /**
   * Takes `quantity` units if the sale is open and has them; returns the sale after the write, whose
   * `acceptedSeq` is this purchase's place in line, or null when the database said no.
   * When exactly the last units go, the same write marks the sale sold out.
   */
  async takeUnits(
    saleId: Types.ObjectId,
    quantity: number,
    now: Date,
    session?: ClientSession,
  ): Promise<StoredSale | null> {
    const open = { _id: saleId, ...openSaleFilter(now) };
    const take = { remainingQuantity: -quantity, soldQuantity: quantity, acceptedSeq: 1 };
    const options = { new: true, session };
    return (
      (await this.sales
        .findOneAndUpdate(
          { ...open, remainingQuantity: { $gt: quantity } },
          { $inc: take },
          options,
        )
        .lean<StoredSale>()
        .exec()) ??
      (await this.sales
        .findOneAndUpdate(
          { ...open, remainingQuantity: quantity },
          { $inc: take, $set: { status: 'sold_out' } },
          options,
        )
        .lean<StoredSale>()
        .exec())
    );
  }

  /**
   * Gives back units taken by an attempt that then failed. Callers must own the attempt exclusively
   * (they deleted its pending record themselves). While the reconciler owns the sale's counters
   * (`needsReconcile`), nothing is given back here: its recount from the confirmed purchases already
   * leaves this attempt out, and giving back as well would count the units twice. Returns whether the
   * units were given back.
   */
  async returnUnits(saleId: Types.ObjectId, quantity: number): Promise<boolean> {
    const result = await this.sales.updateOne(
      { _id: saleId, needsReconcile: { $ne: true } },
      { $inc: { remainingQuantity: quantity, soldQuantity: -quantity } },
    );
    await this.reopenIfStockCameBack(saleId);
    return result.modifiedCount === 1;
  }

  async findById(saleId: Types.ObjectId, session?: ClientSession): Promise<StoredSale | null> {
    return this.sales.findById(saleId, null, { session }).lean<StoredSale>().exec();
  }

  async markNeedsReconcile(saleIds: Types.ObjectId[]): Promise<void> {
    if (saleIds.length === 0) return;
    await this.sales.updateMany({ _id: { $in: saleIds } }, { $set: { needsReconcile: true } });
  }

  async findNeedingReconcile(limit: number): Promise<StoredSale[]> {
    return this.sales.find({ needsReconcile: true }).limit(limit).lean<StoredSale[]>().exec();
  }

  /**
   * Sets the counters to what the confirmed purchases say, only if nothing touched the sale since
   * `observed` was read (any take or give-back changes soldQuantity or acceptedSeq). Returns false when
   * the sale moved on; the reconciler then simply tries again later.
   */
  async repairCounters(observed: StoredSale, confirmedUnits: number): Promise<boolean> {
    const result = await this.sales.updateOne(
      {
        _id: observed._id,
        soldQuantity: observed.soldQuantity,
        remainingQuantity: observed.remainingQuantity,
        acceptedSeq: observed.acceptedSeq,
      },
      {
        $set: {
          soldQuantity: confirmedUnits,
          remainingQuantity: observed.totalQuantity - confirmedUnits,
          needsReconcile: false,
        },
      },
    );
    if (result.matchedCount === 0) return false;
    await this.reopenIfStockCameBack(observed._id);
    return true;
  }

  private async reopenIfStockCameBack(saleId: Types.ObjectId): Promise<void> {
    await this.sales.updateOne(
      { _id: saleId, status: 'sold_out', remainingQuantity: { $gt: 0 } },
      { $set: { status: 'active' } },
    );
  }
}
