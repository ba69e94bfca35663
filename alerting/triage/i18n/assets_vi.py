"""Vietnamese messages of the city context: assets, internal/external, alert priority."""

from __future__ import annotations

MESSAGES: dict[str, str] = {
    "sort.priority": "Ưu tiên cao nhất trước",
    "field.priority": "Mức ưu tiên",
    "priority.none": "Chưa có mức ưu tiên (ghi nhận trước khi có danh mục tài sản)",
    "priority.explain": (
        "Mức độ của luật × mức quan trọng của hệ thống (0–16), tính khi tạo cảnh báo"
    ),
    "priority_band.urgent": "Khẩn cấp",
    "priority_band.high": "Cao",
    "priority_band.medium": "Trung bình",
    "priority_band.low": "Thấp",
    "criticality.low": "Thấp",
    "criticality.medium": "Trung bình",
    "criticality.high": "Cao",
    "criticality.critical": "Đặc biệt quan trọng",
    "asset_role.host": "Máy chủ",
    "asset_role.source": "Nguồn",
    "asset_role.destination": "Đích",
    "assets.title": "Bối cảnh hệ thống thành phố",
    "assets.field": "Trường",
    "assets.value": "Giá trị",
    "assets.zone": "Vùng mạng",
    "assets.internal": "Nội bộ",
    "assets.external": "Bên ngoài",
    "assets.asset": "Hệ thống",
    "assets.department": "Đơn vị quản lý",
    "assets.criticality": "Mức quan trọng",
    "assets.description": "Mô tả",
    "assets.unknown": "Không có trong danh mục",
    "assets.none": "Cảnh báo này không nêu máy chủ hay địa chỉ nào.",
}
