import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types, type FilterQuery } from 'mongoose';
import { SingleFlight } from '../common/concurrency/single-flight';
import type { Page } from '../common/dto/pagination-query.dto';
import { conflict, notFound } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import { toCents } from '../products/money';
import { ProductsService } from '../products/products.service';
import type { CreateSaleDto } from './dto/create-sale.dto';
import type { ListSalesQueryDto } from './dto/list-sales-query.dto';
import type { SaleDto } from './dto/sale.dto';
import { toSaleDto } from './sale.mapper';
import { SaleEvents } from './events/sale-events';
import { SaleSnapshotCache } from './sale-snapshot.cache';
import { effectiveStatus, openSaleFilter } from './sale-state';
import { Sale, type SaleStatus, type StoredSale } from './schemas/sale.schema';

const notEnded = (now: Date) => ({ $or: [{ endTime: null }, { endTime: { $gt: now } }] });

/** Filters matching each status *as of now*, consistent with effectiveStatus(). */
const statusFilters: Record<SaleStatus, (now: Date) => FilterQuery<Sale>> = {
  scheduled: (now) => ({ status: { $ne: 'ended' }, startTime: { $gt: now }, ...notEnded(now) }),
  active: (now) => ({ ...openSaleFilter(now), remainingQuantity: { $gt: 0 } }),
  sold_out: (now) => ({ status: { $ne: 'ended' }, remainingQuantity: 0, ...notEnded(now) }),
  ended: (now) => ({ $or: [{ status: 'ended' }, { endTime: { $lte: now } }] }),
};

@Injectable()
export class SalesService {
  private readonly liveReads = new SingleFlight<StoredSale>();

  constructor(
    @InjectModel(Sale.name) private readonly sales: Model<Sale>,
    private readonly products: ProductsService,
    private readonly snapshots: SaleSnapshotCache,
    private readonly events: SaleEvents,
  ) {}

  async create(dto: CreateSaleDto): Promise<SaleDto> {
    const product = await this.products.get(dto.productId);
    const created = await this.sales.create({
      name: dto.name ?? product.name,
      productId: new Types.ObjectId(product.id),
      product: { name: product.name, priceCents: toCents(product.price) },
      startTime: dto.startTime,
      endTime: dto.endTime ?? null,
      totalQuantity: dto.totalQuantity,
      remainingQuantity: dto.totalQuantity,
      soldQuantity: 0,
      maxPerUser: dto.maxPerUser ?? 1,
      status: 'scheduled',
    });
    return toSaleDto(created.toObject(), new Date());
  }

  async list(query: ListSalesQueryDto): Promise<Page<SaleDto>> {
    const now = new Date();
    const filter = query.status ? statusFilters[query.status](now) : {};
    const [items, total] = await Promise.all([
      this.sales
        .find(filter)
        .sort({ createdAt: -1, _id: -1 })
        .skip(query.skip)
        .limit(query.limit)
        .lean<StoredSale[]>()
        .exec(),
      this.sales.countDocuments(filter).exec(),
    ]);
    return {
      items: items.map((sale) => toSaleDto(sale, now)),
      total,
      page: query.page,
      limit: query.limit,
    };
  }

  /** The hot read of a flash sale: everyone polls it. Identical concurrent reads share one query. */
  async get(id: string): Promise<SaleDto> {
    const sale = await this.liveReads.run(id, () => this.findOrThrow(id));
    return toSaleDto(sale, new Date());
  }

  /**
   * Opens a sale now. Each step is one conditional update on `status: 'scheduled'`, so manual activation,
   * the scheduler and other instances cannot race each other into a wrong state.
   */
  async activate(id: string): Promise<SaleDto> {
    const now = new Date();
    const _id = new Types.ObjectId(id);
    const scheduled = { _id, status: 'scheduled' as const, ...notEnded(now) };
    const activated =
      // A future start moves to now; a start already past (the scheduler has not ticked yet) is kept.
      (await this.sales
        .findOneAndUpdate(
          { ...scheduled, startTime: { $gt: now } },
          { $set: { status: 'active', activatedAt: now, startTime: now } },
          { new: true },
        )
        .lean<StoredSale>()
        .exec()) ??
      (await this.sales
        .findOneAndUpdate(
          { ...scheduled, startTime: { $lte: now } },
          { $set: { status: 'active', activatedAt: now } },
          { new: true },
        )
        .lean<StoredSale>()
        .exec());
    if (activated) this.events.publish({ saleId: id, kind: 'activated' });
    const sale = activated ?? (await this.findOrThrow(id));
    this.snapshots.remember(sale);
    const status = effectiveStatus(sale, now);
    if (status === 'sold_out' || status === 'ended') {
      throw conflict(ErrorCode.SALE_CLOSED, `The sale is ${status.replace('_', ' ')}`);
    }
    return toSaleDto(sale, now);
  }

  private async findOrThrow(id: string): Promise<StoredSale> {
    const sale = await this.sales.findById(new Types.ObjectId(id)).lean<StoredSale>().exec();
    if (!sale) throw notFound(ErrorCode.SALE_NOT_FOUND, 'Sale not found');
    return sale;
  }
}
