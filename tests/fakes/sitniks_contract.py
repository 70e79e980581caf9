"""What the real Sitniks API takes as an order body, from the public evidence (`shared/spec/sitniks-open-api.md`:
pucha02/salesbox-to-sitniks and the small shop sites it lists): the fields any public body has, and nothing else."""

from __future__ import annotations

from typing import Any

NP_INTEGRATION_ID = 3071  # the fake shop's Nova Poshta integration, as GET …/nova-poshta/api-keys lists it

ORDER_FIELDS = {"externalId", "statusId", "salesChannelId", "client", "products", "npDelivery", "clientComment",
                "managerComment", "payment", "utm"}
LINE_FIELDS = {"productVariationId", "title", "price", "quantity", "isUpsale", "discountPercent", "discountAmount",
               "costPrice", "notes", "warehouseId"}
NP_FIELDS = {"integrationNovaposhtaId", "city", "cityRef", "department", "departmentRef", "serviceType", "payerType",
             "cargoType", "seatsAmount", "price", "weight", "region", "paymentMethod", "productPaymentMethod"}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def order_refusal(body: Any) -> str | None:
    """Why the real API would refuse this order body (400), or None when it has the public shape."""
    if not isinstance(body, dict):
        return "body must be an object"
    if unknown := sorted(set(body) - ORDER_FIELDS):
        return f"property {', '.join(unknown)} should not exist"
    client = body.get("client")
    if not isinstance(client, dict) or not isinstance(client.get("fullname"), str) \
            or len(client["fullname"].strip()) < 3:
        return "client.fullname must be longer than or equal to 3 characters"
    lines = body.get("products")
    if not isinstance(lines, list) or not lines:
        return "products must contain at least 1 elements"
    for n, line in enumerate(lines):
        if not isinstance(line, dict) or (unknown := sorted(set(line) - LINE_FIELDS)):
            return f"products.{n}: property {', '.join(unknown) if isinstance(line, dict) else ''} should not exist"
        variation = line.get("productVariationId")
        if not isinstance(variation, int) or isinstance(variation, bool) or variation <= 0:
            return f"products.{n}.productVariationId must be an integer number"
        if not _number(line.get("price")) or not isinstance(line.get("quantity"), int) or line["quantity"] < 1:
            return f"products.{n}.price must be a number, quantity a positive integer"
    delivery = body.get("npDelivery")
    if delivery is not None:
        if not isinstance(delivery, dict) or (unknown := sorted(set(delivery) - NP_FIELDS)):
            return "npDelivery: unknown property"
        if delivery.get("integrationNovaposhtaId") != NP_INTEGRATION_ID:
            return "npDelivery.integrationNovaposhtaId: Nova Poshta integration not found"
        if "price" in delivery and not _number(delivery["price"]):
            return "npDelivery.price must be a number"
    payment = body.get("payment")
    if payment is not None and (not isinstance(payment, dict) or not _number(payment.get("amount"))):
        return "payment.amount must be a number"
    for comment in ("clientComment", "managerComment"):
        if comment in body and not isinstance(body[comment], str):
            return f"{comment} must be a string"
    return None
