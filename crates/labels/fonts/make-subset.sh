#!/usr/bin/env bash
# Regenerates NotoSansSC-labels.otf: the subset of Noto Sans CJK SC (SIL OFL
# 1.1, see OFL.txt) that label text is drawn with. Needs Debian's
# fonts-noto-cjk and python3-fonttools (pyftsubset).
#
# Kept: printable ASCII, GB 2312 rows 1-3 (CJK punctuation, symbols, full-width
# forms), all GB 2312 hanzi (level 1, rows 16-55, and level 2, rows 56-87:
# 6,763 characters, so pesticide names such as 吡虫啉 and 嘧菌酯 print), every
# CJK character, CJK punctuation or full-width form the workspace's sources
# and fixtures use (crates/, tests, demo data: so nothing the project prints
# is missing; crates/labels/src/font.rs tests this), and U+25A1 WHITE SQUARE,
# which stands in for any character not kept.
# Hinting is dropped: labels are printed at 203-600 dpi where CFF hints do
# not matter, and it saves a fifth of the file.
set -euo pipefail
cd "$(dirname "$0")"
src="${NOTO_CJK:-/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc}"
py="$(command -v /usr/bin/python3 || command -v python3)"
chars="$(mktemp)"
trap 'rm -f "$chars"' EXIT
"$py" - >"$chars" <<'PY'
out = [chr(c) for c in range(0x20, 0x7F)]
def rows(first, last):
    for hi in range(0xA0 + first, 0xA0 + last + 1):
        for lo in range(0xA1, 0xFF):
            try:
                out.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
rows(1, 3)
rows(16, 87)
out.append("\u25a1")
# Characters the project itself uses: CJK unified ideographs (and extension
# A), CJK symbols and punctuation, full-width forms.
import os
CJK = [(0x3000, 0x303F), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xFF00, 0xFFEF)]
def cjk(c):
    return any(lo <= ord(c) <= hi for lo, hi in CJK)
seen = set(out)
for top, dirs, files in os.walk("../../.."):
    dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "target")
    for name in sorted(files):
        if not name.endswith((".rs", ".json", ".csv", ".toml", ".sql", ".html", ".txt")):
            continue
        try:
            text = open(os.path.join(top, name), encoding="utf-8").read()
        except (UnicodeDecodeError, OSError):
            continue
        for c in text:
            if cjk(c) and c not in seen:
                seen.add(c)
                out.append(c)
print("".join(out))
PY
# Face 2 of the collection is Simplified Chinese (SC).
"$py" -m fontTools.subset "$src" --font-number=2 --text-file="$chars" \
  --layout-features='' --no-hinting --desubroutinize --name-IDs='*' \
  --output-file=NotoSansSC-labels.otf
ls -l NotoSansSC-labels.otf
