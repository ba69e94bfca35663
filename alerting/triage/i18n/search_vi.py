"""Vietnamese messages of the event search page (merged into the catalogue by the package)."""

MESSAGES: dict[str, str] = {
    "nav.search": "Tìm kiếm",
    "search.title": "Tìm kiếm sự kiện",
    "search.query": "Truy vấn",
    "search.from": "Từ (giờ Hà Nội)",
    "search.to": "Đến (giờ Hà Nội)",
    "search.columns": "Cột (các trường, cách nhau bằng dấu phẩy)",
    "search.go": "Tìm",
    "search.help": "Ngôn ngữ truy vấn",
    "search.help_text": (
        "trường:giá_trị khớp toàn bộ giá trị (không phân biệt hoa thường; * và ? là ký tự"
        ' đại diện); một từ đứng riêng hoặc "cụm từ trong ngoặc kép" được tìm ở bất kỳ đâu'
        " trong dòng log gốc; khoảng trường:[a TO b] và trường>=n so sánh số; kết hợp bằng"
        " AND, OR, NOT và dấu ngoặc."
    ),
    "search.error": "Không thể tìm với truy vấn này: {reason} (tại ký tự {position}).",
    "search.hits": "{count} sự kiện khớp",
    "search.export_csv": "Xuất CSV",
    "search.export_ndjson": "Xuất NDJSON",
    "search.sigma_draft": "Lưu thành bản nháp luật Sigma",
    "search.histogram": "Số sự kiện khớp theo thời gian",
    "search.peak": "cột cao nhất: {count}",
    "search.top_values": "Giá trị hàng đầu",
    "search.top_sample": "Đếm trên {count} sự kiện khớp mới nhất.",
    "search.filter_in": "Chỉ các sự kiện có giá trị này",
    "search.filter_out": "Bỏ các sự kiện có giá trị này",
    "search.none": "Không có sự kiện nào khớp.",
    "search.first_page": "Mới nhất",
    "search.next_page": "Sự kiện cũ hơn →",
    "entity.kind.ip": "Địa chỉ IP",
    "entity.kind.host": "Máy chủ",
    "entity.kind.user": "Người dùng",
    "entity.events": "Sự kiện (7 ngày qua nếu không chọn)",
    "entity.search_events": "tìm các sự kiện này",
    "entity.first_seen": "Thấy lần đầu",
    "entity.last_seen": "Thấy lần cuối",
    "entity.related": "Thực thể liên quan",
    "entity.no_related": "Không có thực thể liên quan trong các sự kiện.",
    "entity.alerts": "Cảnh báo",
    "entity.no_alerts": "Không có cảnh báo nào nêu thực thể này.",
    "entity.alert_last_seen": "Lần cuối",
    "entity.alert_severity": "Mức độ",
    "entity.alert_rule": "Luật",
    "entity.alert_status": "Trạng thái",
}
