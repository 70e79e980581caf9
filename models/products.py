"""A product as the shop sells it: sizes, colours, prices per size (UAH), stock, CRM variation ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    price: Decimal
    sizes: tuple[str, ...]
    colors: tuple[str, ...] = ()
    description: str | None = None
    category: str | None = None
    subcategory: str | None = None
    photo_url: str | None = None
    color_photos: dict[str, str] = field(default_factory=dict)
    price_by_size: dict[str, Decimal] = field(default_factory=dict)
    is_active: bool = True
    crm_product_id: str | None = None
    stock: dict[str, int] = field(default_factory=dict)  # pieces left per size; a size not here is not counted
    # The Sitniks variation id per size ("122-128") or per size and colour ("122-128/рожевий"), see `variation_id`.
    crm_variation_ids: dict[str, int] = field(default_factory=dict)
    id: int | None = field(default=None, compare=False)

    def price_for(self, size: str) -> Decimal:
        """The catalog's price for one of this product's sizes (a size it lacks is a caller's error)."""
        if size not in self.sizes:
            raise KeyError(f"{self.sku} has no size {size}")
        return self.price_by_size.get(size, self.price)

    def in_stock(self, size: str) -> bool:
        """False only for a size the shop counts and has none of; an uncounted size is taken as available."""
        return self.stock.get(size, 1) > 0

    @property
    def sizes_in_stock(self) -> tuple[str, ...]:
        return tuple(size for size in self.sizes if self.in_stock(size))

    @property
    def min_price(self) -> Decimal:
        return min(self.price_for(size) for size in self.sizes)

    def variation_id(self, size: str, color: str | None) -> int | None:
        """The CRM variation id of this size (in this colour, where the shop keeps variations per colour); None
        when the catalog does not map it: such an order line cannot go to Sitniks."""
        by_colour = self.crm_variation_ids.get(f"{size}/{color}") if color else None
        return by_colour or self.crm_variation_ids.get(size)

    def photo_for(self, color: str | None) -> str | None:
        return self.color_photos.get(color, self.photo_url) if color else self.photo_url
