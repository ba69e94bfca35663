"""Vietnamese messages of the rules page's switches and the pivot links."""

MESSAGES: dict[str, str] = {
    "rules.state": "Hoạt động",
    "rules.enabled": "Đang bật",
    "rules.disabled": "Đã tắt",
    "rules.disabled_count": "{count} quy tắc đã tắt.",
    "rules.switched_by": "{actor}, {time}",
    "rules.reason": "Lý do (bắt buộc)",
    "rules.disable": "Tắt",
    "rules.enable": "Bật",
    "rules.ran_at": "chạy lúc {time}",
    "rules.tests": "kiểm thử",
    "notice.done_rule_disabled": "Đã tắt quy tắc: bộ phát hiện dừng nó từ lượt chạy kế tiếp.",
    "notice.done_rule_enabled": (
        "Đã bật quy tắc: nó chạy tiếp từ bây giờ; các sự kiện nhận trong lúc tắt không được"
        " tìm (dùng rules backtest cho khoảng đó)."
    ),
    "notice.rule_reason": "Hãy nhập lý do (tối đa 1000 ký tự) để tắt hoặc bật quy tắc.",
    "notice.rule_already_disabled": "Quy tắc đã tắt từ trước.",
    "notice.rule_already_enabled": "Quy tắc đang bật.",
    "error.rule_unknown": "Không có quy tắc nào đang nạp với mã này.",
    "error.rule_reason": "Hãy nhập lý do (tối đa 1000 ký tự) để tắt hoặc bật quy tắc.",
    "error.rule_already_disabled": "Quy tắc đã tắt từ trước.",
    "error.rule_already_enabled": "Quy tắc đang bật.",
    "overview.rule_disabled": "đã tắt",
    "pivot.title": "Mở trang {kind}",
}
