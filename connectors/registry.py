"""Every vendor the project knows: one line each. See docs/architecture.md ("Adding a vendor")."""

from __future__ import annotations

from .arcadia import VENDOR as ARCADIA
from .bayou import VENDOR as BAYOU
from .core.vendor import VendorSpec
from .urjanet import VENDOR as URJANET
from .wattzon import VENDOR as WATTZON

VENDORS: dict[str, VendorSpec] = {
    BAYOU.name: BAYOU,
    WATTZON.name: WATTZON,
    ARCADIA.name: ARCADIA,
    URJANET.name: URJANET,
}
