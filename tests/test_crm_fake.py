"""The fake Sitniks holds our client to the public contract (`shared/spec/sitniks-open-api.md`): it refuses, with
400 and a reason, every order body the real API would not take, so a test passing against it means something."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.fakes.sitniks import FakeSitniks
from tests.fakes.sitniks_contract import NP_INTEGRATION_ID

GOOD: dict[str, Any] = {
    "externalId": "tg-1", "client": {"fullname": "Петренко Оксана", "phone": "+380951234567"},
    "products": [{"productVariationId": 8812, "title": "Сукня Анна", "price": 1850, "quantity": 1, "isUpsale": False}],
    "npDelivery": {"integrationNovaposhtaId": NP_INTEGRATION_ID, "city": "Київ", "department": "Відділення №25"},
    "managerComment": "Замовлення №1", "payment": {"amount": 200},
}


@pytest_asyncio.fixture
async def sitniks() -> AsyncIterator[FakeSitniks]:
    fake = FakeSitniks()
    await fake.start()
    yield fake
    await fake.stop()


async def post(sitniks: FakeSitniks, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {sitniks.api_key}"}) as session, \
            session.post(f"{sitniks.url}/open-api/orders", json=body) as response:
        return response.status, await response.json()


def changed(path: str, value: Any) -> dict[str, Any]:
    """GOOD with one value changed (`a.b` or `products.0.price`); a value of ... removes the key."""
    body: Any = copy.deepcopy(GOOD)
    *parents, key = path.split(".")
    holder = body
    for part in parents:
        holder = holder[int(part)] if part.isdigit() else holder[part]
    if value is ...:
        del holder[key]
    else:
        holder[key] = value
    return body


async def test_the_public_shape_is_accepted_and_answered_with_id_order_number_and_external_id(
        sitniks: FakeSitniks) -> None:
    status, answer = await post(sitniks, GOOD)
    assert status == 201 and answer["externalId"] == "tg-1" and {"id", "orderNumber"} <= set(answer)


@pytest.mark.parametrize(("path", "value", "reason"), [
    ("client.fullname", ..., "fullname"),
    ("client.fullname", "Ян", "fullname"),
    ("client.fullName", "Петренко Оксана", "fullname"),  # our old spelling, with fullname missing
    ("products.0.productVariationId", ..., "productVariationId"),
    ("products.0.productVariationId", "8812", "productVariationId"),
    ("products.0.price", "1850.00", "price"),
    ("payment.amount", "200", "amount"),
    ("totalPrice", 1850, "totalPrice"),
    ("currency", "UAH", "currency"),
    ("products.0.sku", "MIRT-ANNA", "sku"),
    ("npDelivery.integrationNovaposhtaId", 1, "integrationNovaposhtaId"),
])
async def test_a_body_the_real_api_would_not_take_is_refused_with_400_and_the_reason(
        sitniks: FakeSitniks, path: str, value: Any, reason: str) -> None:
    body = changed(path, value)
    if path == "client.fullName":
        del body["client"]["fullname"]
    status, answer = await post(sitniks, body)
    assert status == 400 and reason in answer["message"][0]
    assert sitniks.orders == {}
