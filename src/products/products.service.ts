import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import type { Page, PaginationQueryDto } from '../common/dto/pagination-query.dto';
import { notFound } from '../common/errors/api-error';
import { ErrorCode } from '../common/errors/error-codes';
import type { CreateProductDto } from './dto/create-product.dto';
import type { ProductDto } from './dto/product.dto';
import { fromCents, toCents } from './money';
import { Product } from './schemas/product.schema';

type StoredProduct = Product & { _id: Types.ObjectId };

function toProductDto(product: StoredProduct): ProductDto {
  return {
    id: product._id.toHexString(),
    name: product.name,
    // No description is no key (not ""); products stored before this with '' read the same way.
    ...(product.description ? { description: product.description } : {}),
    price: fromCents(product.priceCents),
    createdAt: product.createdAt,
  };
}

@Injectable()
export class ProductsService {
  constructor(@InjectModel(Product.name) private readonly products: Model<Product>) {}

  async create(dto: CreateProductDto): Promise<ProductDto> {
    const created = await this.products.create({
      name: dto.name,
      description: dto.description || undefined,
      priceCents: toCents(dto.price),
    });
    return toProductDto(created.toObject());
  }

  async list(query: PaginationQueryDto): Promise<Page<ProductDto>> {
    const [items, total] = await Promise.all([
      this.products
        .find()
        .sort({ createdAt: -1, _id: -1 })
        .skip(query.skip)
        .limit(query.limit)
        .lean<StoredProduct[]>()
        .exec(),
      this.products.countDocuments().exec(),
    ]);
    return { items: items.map(toProductDto), total, page: query.page, limit: query.limit };
  }

  async get(id: string): Promise<ProductDto> {
    const product = await this.products.findById(id).lean<StoredProduct>().exec();
    if (!product) throw notFound(ErrorCode.PRODUCT_NOT_FOUND, 'Product not found');
    return toProductDto(product);
  }
}
