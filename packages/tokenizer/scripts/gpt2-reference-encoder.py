#!/usr/bin/env python3
"""GPT-2's original byte-level BPE encoder, written out from its published algorithm, run over vocab.json +
merges.txt with Python's `regex` module, to make the ids that src/python-whitespace.test.ts holds us to.

Why: Hugging Face's GPT2Tokenizer (and OpenAI's encoder.py) split text with the pattern below under the
`regex` module, whose \\s is not JavaScript's: U+0085 (NEL) is whitespace there and U+FEFF (BOM) is not.
This script enumerates every code point where the two \\s disagree (node must be on PATH), builds texts full
of them, encodes them here and writes the fixture. Run from packages/tokenizer:

    python3 scripts/gpt2-reference-encoder.py [tokenizer-dir] [out.json]
"""
import json
import subprocess
import sys
from pathlib import Path

import regex

PATTERN = regex.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")


def bytes_to_unicode():
    """Byte -> printable character: printable Latin-1 bytes stand for themselves, the rest move to 256+."""
    keep = [*range(ord('!'), ord('~') + 1), *range(ord('¡'), ord('¬') + 1), *range(ord('®'), ord('ÿ') + 1)]
    table, extra = {}, 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


def get_pairs(word):
    return {(word[i], word[i + 1]) for i in range(len(word) - 1)}


class Encoder:
    def __init__(self, vocab, merges):
        self.vocab = vocab
        self.ranks = {pair: rank for rank, pair in enumerate(merges)}
        self.byte_char = bytes_to_unicode()
        self.cache = {}

    def bpe(self, token):
        if token in self.cache:
            return self.cache[token]
        word = tuple(token)
        while len(word) > 1:
            best = min(get_pairs(word), key=lambda p: self.ranks.get(p, float('inf')))
            if best not in self.ranks:
                break
            merged, i = [], 0
            while i < len(word):
                if i < len(word) - 1 and (word[i], word[i + 1]) == best:
                    merged.append(word[i] + word[i + 1])
                    i += 2
                else:
                    merged.append(word[i])
                    i += 1
            word = tuple(merged)
        self.cache[token] = word
        return word

    def encode(self, text):
        ids = []
        for piece in PATTERN.findall(text):
            spelled = ''.join(self.byte_char[b] for b in piece.encode('utf-8'))
            ids.extend(self.vocab[t] for t in self.bpe(spelled))
        return ids


def disagreeing_code_points():
    """Every code point (surrogates aside) where regex's \\s and JavaScript's /\\s/u differ."""
    python = {c for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF and regex.fullmatch(r'\s', chr(c))}
    js = json.loads(subprocess.run(
        ['node', '-e', 'const o=[];for(let c=0;c<0x110000;c++)if((c<0xd800||c>0xdfff)&&/\\s/u.test(String.fromCodePoint(c)))o.push(c);console.log(JSON.stringify(o))'],
        check=True, capture_output=True, text=True).stdout)
    return sorted(python.symmetric_difference(js))


def texts(disagree):
    # Characters that agree but sit near the difference: other Unicode spaces, and the C0 separators that
    # Python's str.isspace() calls whitespace but regex's \s does not.
    neighbours = [0x20, 0x0A, 0xA0, 0x1680, 0x2028, 0x3000, 0x1C, 0x1F, 0x180E, 0x200B]
    contexts = ['{c}', '{c}{c}', 'a{c}b', '1{c}2', ' {c} ', '{c} ', ' {c}', '{c}\n', '\n{c}\n', 'a {c}b', 'a{c} b',
                'x  {c}y', '{c}  x', "it{c}'s", "{c}'ll", '{c}!', '!{c}', ' !{c}', 'é{c}ü', '日{c}本', '{c}😀', '9 {c}9']
    out = [ctx.format(c=chr(c)) for c in disagree + neighbours for ctx in contexts]
    out += [
        '\ufeffdef main():\n    print("hello")\n',
        'First line\u0085Second line\u0085\u0085Third  \u0085 line\r\n',
        'A byte order mark \ufeff in the middle, \ufeff\ufeff twice, and NEL\u0085 at 42\u0085%.',
        " \u0085\ufeff \ufeff\u0085 it's \u0085'd 12\ufeff34 \u00a0\u0085\u3000 \u2028\ufeff",
    ]
    out.append(''.join(out))
    return out


def main():
    here = Path(__file__).resolve().parent
    src = Path(sys.argv[1]) if len(sys.argv) > 1 else here / '../../../tools/fixtures/data/gpt2-tokenizer'
    dest = Path(sys.argv[2]) if len(sys.argv) > 2 else here / '../fixtures/python-whitespace-ids.json'
    vocab = json.loads((src / 'vocab.json').read_text('utf-8'))
    lines = (src / 'merges.txt').read_text('utf-8').split('\n')
    merges = [tuple(l.split(' ')) for i, l in enumerate(lines) if l and not (i == 0 and l.startswith('#version'))]
    encoder = Encoder(vocab, merges)
    disagree = disagreeing_code_points()
    cases = [{'text': t, 'ids': encoder.encode(t)} for t in texts(disagree)]
    fixture = {'generator': 'scripts/gpt2-reference-encoder.py', 'regex': regex.__version__,
               'disagreeing_code_points': [f'U+{c:04X}' for c in disagree], 'cases': cases}
    body = ',\n'.join(json.dumps(c, ensure_ascii=True) for c in cases)  # one case per line: readable diffs
    head = json.dumps({k: v for k, v in fixture.items() if k != 'cases'}, ensure_ascii=True)[:-1]
    dest.write_text(f'{head}, "cases": [\n{body}\n]}}\n', 'utf-8')
    print(f'{len(cases)} cases, \\s disagrees on {fixture["disagreeing_code_points"]}, wrote {dest}')


if __name__ == '__main__':
    main()
