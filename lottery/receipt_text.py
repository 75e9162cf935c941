"""The words of the receipt check page (`/public/lottery/<code>/receipt/`), translated here
and carried by the page as JSON, like the verify page's (`lottery.verify_text`)."""

from __future__ import annotations

from django.utils.translation import gettext as _


def receipt_page_text() -> dict[str, str]:
    return {
        "running": _("正在核验……"),
        "verified": _("回执核验通过"),
        "verified_detail": _(
            "安置户 %(household)s 分得 %(apartments)s:这一行是本场次公布结果的第 %(number)s 行"
            "(共 %(count)s 行),与公布的默克尔根一致。"
        ),
        "no_apartments": _("不分房(需求为空)"),
        "failed": _("回执核验失败:%(problem)s"),
        "problem_root_mismatch": _(
            "回执与本场次公布的默克尔根不符:这一行或它的证明被改动过,或者不是本场次的回执。"
        ),
        "problem_other_household": _("这张回执属于安置户 %(got)s,不是您的户 %(want)s。"),
        "problem_malformed": _("回执格式不正确,无法读取。"),
        "problem_empty": _("没有回执:请扫描通知书或本户页面上的回执二维码打开本页,或粘贴回执。"),
        "problem_no_root": _("本场次尚未签署,还没有公布默克尔根。"),
        "problem_no_webcrypto": _(
            "此浏览器不提供 WebCrypto(需要 HTTPS 连接和较新的浏览器),无法在本机计算哈希。"
        ),
        "computed_root": _("由回执计算的根"),
    }
