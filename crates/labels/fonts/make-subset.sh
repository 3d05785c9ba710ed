#!/usr/bin/env bash
# Regenerates NotoSansSC-labels.otf: the subset of Noto Sans CJK SC (SIL OFL
# 1.1, see OFL.txt) that label text is drawn with. Needs Debian's
# fonts-noto-cjk and python3-fonttools (pyftsubset).
#
# Kept: printable ASCII, GB 2312 rows 1-3 (CJK punctuation, symbols, full-width
# forms) and level-1 hanzi (rows 16-55, the 3,755 most common characters),
# and U+25A1 WHITE SQUARE, which stands in for any character not kept.
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
rows(16, 55)
out.append("\u25a1")
print("".join(out))
PY
# Face 2 of the collection is Simplified Chinese (SC).
"$py" -m fontTools.subset "$src" --font-number=2 --text-file="$chars" \
  --layout-features='' --no-hinting --desubroutinize --name-IDs='*' \
  --output-file=NotoSansSC-labels.otf
ls -l NotoSansSC-labels.otf
