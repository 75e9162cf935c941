"""The words of the phone verify page (`/public/lottery/<code>/verify/`), translated here.

The page's scripts (static/lottery/verify/) compute in the visitor's browser and report each
check and each problem as a key with parameters; the page carries these sentences as JSON
(`json_script`), so the scripts need no catalogue of their own. Every key the scripts can
report has a sentence here (tests/lottery/test_verify_page.py checks it).
"""

from __future__ import annotations

from django.utils.translation import gettext as _


def verify_page_text() -> dict[str, str]:
    return {
        # The verdict and the page's own steps.
        "running": _("正在验证……"),
        "loading": _("正在下载数据包……"),
        "reading": _("正在读取文件……"),
        "verified": _("验证通过:全部结果与重新计算一致"),
        "failed": _("验证失败:%(problem)s"),
        "elapsed": _("在本机用时 %(seconds)s 秒"),
        "source_published": _("数据包:本场次公布的数据包"),
        "source_file": _("数据包:您选择的文件 %(name)s"),
        "ok": _("通过"),
        "fail": _("不通过"),
        "skip": _("跳过"),
        "step_ok": _("一致"),
        "step_bad": _("不一致"),
        "step_fixed": _("按决议确定,未抽签"),
        "steps_none": _("无法重新计算摇号步骤。"),
        "allocation_none": _("无法重新计算分房结果。"),
        "allocation_count": _("重新计算:%(households)s 户,%(apartments)s 套房源。"),
        "household_found": _("%(household)s:重新计算分得 %(apartments)s"),
        "household_no_apartments": _("%(household)s:重新计算不分房(需求为空)"),
        "household_unknown": _("数据包中没有安置户 %(household)s。"),
        "household_drawn": _("在 %(label)s 中排第 %(rank)s 位"),
        "source_recomputed": _("重新计算"),
        "source_picks": _("选房记录"),
        # The checks, in the order they run (docs/lottery.md §13).
        "check_load": _("读取数据包"),
        "check_bundle_hash": _("数据包哈希与公布的一致"),
        "check_fields": _("数据包字段齐全"),
        "check_algorithm": _("算法为 rs-lottery-v1 或 rs-lottery-v2"),
        "check_record": _("承诺值 = SHA-256(承诺记录),记录与本场次一致(v2)"),
        "check_public_value": _("事先指定的公开随机数格式正确(v2)"),
        "check_seed_v2": _("种子 = SHA-256(v2 ‖ 密钥 ‖ 承诺值 ‖ 公开随机数 ‖ 见证随机数)"),
        "check_secret_hex": _("服务器密钥为十六进制"),
        "check_commitment": _("承诺值 = SHA-256(服务器密钥)"),
        "check_entropy_nfc": _("见证随机数已按 NFC 规范化"),
        "check_seed": _("种子 = SHA-256(服务器密钥 ‖ 00 ‖ 见证随机数)"),
        "check_participants_sha256": _("参加户名单的哈希与公证员确认的一致"),
        "check_inventory_sha256": _("房源清单的哈希与公证员确认的一致"),
        "check_participants_ok": _("参加户名单格式正确"),
        "check_inventory_ok": _("房源清单格式正确"),
        "check_call_order": _("摇号步骤齐全"),
        "check_steps_recomputed": _("由种子重新计算每一步"),
        "check_steps_identical": _("每一步的摇号顺序与数据包一致"),
        "check_allocation": _("分房结果"),
        "check_allocation_direct": _("重新计算分房结果(直接分配)"),
        "check_allocation_identical": _("分房结果与重新计算一致"),
        "check_picks_valid": _("选房记录有效(先摇号后选房)"),
        "check_allocation_picks": _("分房结果与选房记录一致"),
        "check_every_pick": _("每户都已选房"),
        # Household receipts (docs/lottery.md §17).
        "check_merkle_root": _("默克尔根 = 由分房结果各行重新计算的根"),
        "problem_merkle_root": _(
            "由分房结果重新计算的默克尔根为 %(got)s,数据包中的是 %(want)s:"
            "分房结果或默克尔根被改动过。"
        ),
        # What a passed check found.
        "ok_participants_ok": _(
            "%(households)s 户,%(groups)s 个村民小组,%(communities)s 个村/社区"
        ),
        "ok_inventory_ok": _("%(apartments)s 套房源"),
        "ok_record": _("步骤前缀 %(prefix)s 由安置小区 %(estates)s 确定"),
        "ok_public_value": _("%(source)s:%(value)s"),
        "ok_call_order": _("1 个村级步骤、%(communities)s 个组级步骤、%(groups)s 个户级步骤"),
        "ok_steps_identical": _("%(steps)s 步全部一致"),
        "ok_allocation_identical": _("%(households)s 户,%(apartments)s 套房源,全部一致"),
        "ok_allocation_picks": _("%(households)s 户,%(apartments)s 套房源,全部一致"),
        "ok_picks_valid": _("%(picks)s 次选房"),
        # Problems: the first one found is the verdict.
        "problem_fetch_failed": _("无法下载数据包(%(error)s)。"),
        "problem_not_json": _("文件不是有效的 JSON(%(error)s)。"),
        "problem_no_webcrypto": _(
            "此浏览器不提供 WebCrypto(需要 HTTPS 连接和较新的浏览器),无法在本机计算哈希。"
        ),
        "problem_bundle_hash": _(
            "数据包的 SHA-256 为 %(got)s,本场次公布的是 %(want)s:这不是公布的数据包。"
        ),
        "problem_other_session": _(
            "这是场次 %(got)s 的数据包,不是本页的场次 %(want)s;下面按文件本身验证。"
        ),
        "problem_malformed": _("数据包格式不对(%(error)s)。"),
        "problem_not_an_object": _("数据包应为 JSON 对象。"),
        "problem_fields_missing": _("数据包缺少字段:%(fields)s。"),
        "problem_algorithm": _("算法标识应为 rs-lottery-v1 或 rs-lottery-v2,数据包为 %(got)s。"),
        "problem_record_hash": _(
            "承诺记录的 SHA-256 为 %(got)s,与事先公布的承诺值 %(want)s 不符:承诺记录被改动过。"
        ),
        "problem_record_algorithm": _("承诺记录的算法标识为 %(got)s,应为 rs-lottery-v2。"),
        "problem_record_secret": _("承诺记录中的 secret_sha256 与公开的服务器密钥不符。"),
        "problem_record_estates": _(
            "承诺记录中的安置小区列表 %(estates)s 无效(应按编号排序、不重复,并含 %(estate)s)。"
        ),
        "problem_record_prefix": _(
            "承诺记录中的步骤前缀 %(got)s 与安置小区 %(estates)s 不符,应为 %(want)s。"
        ),
        "problem_bundle_prefix": _("数据包的步骤前缀 %(got)s 不是承诺记录中事先确定的 %(want)s。"),
        "problem_record_binds": _("数据包的 %(field)s 为 %(got)s,承诺记录中为 %(want)s。"),
        "problem_public_source_unknown": _("承诺记录没有指定有效的公开随机数来源(%(kind)s)。"),
        "problem_public_value_empty": _("数据包没有公开随机数。"),
        "problem_public_value_form": _("公开随机数 %(value)s 不是规范形式。"),
        "problem_drand_hex": _("drand 随机数 %(value)s 应为 64 位小写十六进制数。"),
        "problem_drand_signature_missing": _("drand 公开随机数缺少签名。"),
        "problem_drand_signature": _(
            "drand 随机数 %(value)s 不是其签名的 SHA-256(签名的 SHA-256 为 %(got)s)。"
        ),
        "problem_signature_not_drand": _("只有 drand 公开随机数带签名。"),
        "problem_seed_v2": _(
            "由服务器密钥、承诺值、公开随机数和见证随机数重新计算的种子为 %(got)s,"
            "数据包中的种子为 %(want)s:公开随机数、见证随机数或种子被改动过。"
        ),
        "problem_not_hex": _("server_secret 不是十六进制字符串。"),
        "problem_commitment": _(
            "服务器密钥的 SHA-256 为 %(got)s,与事先公布的承诺值 %(want)s 不符。"
        ),
        "problem_entropy_not_nfc": _("见证随机数未按 NFC 规范化。"),
        "problem_seed": _(
            "由服务器密钥和见证随机数重新计算的种子为 %(got)s,数据包中的种子为 %(want)s:"
            "见证随机数或种子被改动过。"
        ),
        "problem_snapshot_hash": _("快照的 SHA-256 为 %(got)s,公证员确认的是 %(want)s。"),
        "problem_group_two_communities": _(
            "村民小组 %(group)s 同时出现在 %(first)s 和 %(second)s 两个村/社区。"
        ),
        "problem_fixed_order_incomplete": _(
            "决议确定的村/社区顺序 %(order)s 没有把 %(communities)s 各列一次。"
        ),
        "problem_bad_tier": _("房源 %(apartment)s 的楼层档次 %(tier)s 不是 A、B 或 C。"),
        "problem_apartment_twice": _("房源清单两次列出 %(apartment)s。"),
        "problem_short_community": _("村/社区 %(community)s 的房源不足:缺 %(missing)s。"),
        "problem_short_group": _("村民小组 %(group)s 的房源不足:缺 %(missing)s。"),
        "problem_short_class": _(
            "村民小组 %(group)s 中户型组合 %(combination)s 的房源不足:缺 %(missing)s。"
        ),
        "problem_household_twice": _("参加户名单两次列出 %(household)s。"),
        "problem_bad_count": _("%(household)s 的需求 %(type)s 套数 %(count)s 不是非负整数。"),
        "problem_label_twice": _("有两个步骤的标签相同。"),
        "problem_village_first": _("第一步应为 %(label)s。"),
        "problem_village_members": _("村级步骤没有恰好列出参加户所在的村/社区。"),
        "problem_step_missing": _("缺少步骤 %(label)s。"),
        "problem_step_unknown": _("步骤 %(label)s 与名单中的村/社区或村民小组都不对应。"),
        "problem_step_lacks": _("步骤 %(label)s 缺少名单中的 %(code)s。"),
        "problem_step_stranger": _("步骤 %(label)s 列出了不在名单中的 %(code)s。"),
        "problem_step_member_twice": _("步骤 %(label)s 两次列出同一参加者。"),
        "problem_order_not_permutation": _("步骤 %(label)s 的摇号顺序不是其参加者的一个排列。"),
        "problem_step_absent": _("缺少第 %(n)s 步(%(label)s)。"),
        "problem_step_label": _("第 %(n)s 步的标签为 %(got)s,应为 %(want)s。"),
        "problem_step_participants": _(
            "第 %(n)s 步(%(label)s)的参加者 %(got)s 与名单的规范顺序 %(want)s 不符。"
        ),
        "problem_step_order": _(
            "第 %(n)s 步(%(label)s)的摇号顺序与重新计算的不符:数据包为 %(got)s,"
            "重新计算为 %(want)s。"
        ),
        "problem_step_fixed": _("第 %(n)s 步(%(label)s)的“决议确定”标记不符。"),
        "problem_step_extra": _("第 %(n)s 步(%(label)s)不应存在。"),
        "problem_allocation_twice": _("分房结果两次列出安置户 %(household)s。"),
        "problem_allocation_unsorted": _(
            "分房结果没有按户编号排列:%(household)s 排在 %(previous)s 之后。"
        ),
        "problem_allocation_missing": _("分房结果缺少安置户 %(household)s(%(source)s)。"),
        "problem_allocation_stranger": _("分房结果中的 %(household)s 不应出现(%(source)s)。"),
        "problem_apartments_unsorted": _(
            "安置户 %(household)s 的房号 %(got)s 没有按码位顺序排列(应为 %(want)s)。"
        ),
        "problem_allocation_differs": _(
            "安置户 %(household)s:数据包为 %(got)s,%(source)s为 %(want)s。"
        ),
        "problem_apartment_given_twice": _("同一套房分给了两户。"),
        "problem_pick_stranger": _("第 %(n)s 次选房:%(household)s 不是参加户。"),
        "problem_pick_out_of_turn": _(
            "第 %(n)s 次选房:%(household)s 没有按村民小组 %(group)s 的摇号顺序选房"
            "(应轮到 %(due)s)。"
        ),
        "problem_pick_outside_share": _(
            "第 %(n)s 次选房:%(apartment)s 不在村民小组 %(group)s 的房源份额内。"
        ),
        "problem_pick_taken": _("第 %(n)s 次选房:%(apartment)s 已被选过。"),
        "problem_pick_wrong_types": _(
            "第 %(n)s 次选房:%(household)s 选了 %(got)s,其需求为 %(want)s。"
        ),
        "problem_no_pick": _("以下安置户没有选房记录:%(households)s。"),
        "problem_bad_mode": _("摇号方式 %(mode)s 既不是直接分配也不是先摇号后选房。"),
    }
