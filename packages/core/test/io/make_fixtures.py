#!/usr/bin/env python3
"""Golden files for the io tests, written by NumPy and Python's zipfile (the reference implementations).

Run from anywhere: python3 packages/core/test/io/make_fixtures.py
Writes small files into fixtures/ plus expected.json: for each array file, the shape, the dtype and the
values NumPy itself reads (as float64 after NumPy's own cast to float32, or exact for labels).
NaN and infinities are stored as the strings "nan", "inf", "-inf".
"""
import json
import math
import os
import struct
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'fixtures')
os.makedirs(OUT, exist_ok=True)
expected = {}


def path(name):
    return os.path.join(OUT, name)


def enc(v):
    v = float(v)
    if math.isnan(v):
        return 'nan'
    if math.isinf(v):
        return 'inf' if v > 0 else '-inf'
    return v


def expect(name, arr, as_f32=True, **extra):
    arr = np.asarray(arr)
    values = arr.astype(np.float32) if as_f32 else arr.astype(np.float64)
    expected[name] = {
        'shape': list(arr.shape),
        'values': [enc(v) for v in np.ascontiguousarray(values).ravel()],
        **extra,
    }


rng = np.random.default_rng(20240923)
logits = (rng.standard_normal((3, 4)) * 3).astype(np.float64)
labels = np.array([2, 0, 3, 1, 1], dtype=np.int64)

# .npy: every supported dtype, both byte orders, C and Fortran order, format versions 1, 2, 3.
for dt in ['<f4', '>f4', '<f8', '>f8', '<f2', '>f2', '<i4', '>i4', '<i8', '>i8', '|u1', '|i1', '<i2', '<u4']:
    a = logits if dt[1] == 'f' else np.array([[1, -2, 3, 4], [5, 6, -7, 8], [0, 127, -128, 9]])
    if dt[1] == 'u':
        a = np.abs(a)
    a = a.astype(dt)
    name = f"{dt[1:]}_{'be' if dt[0] == '>' else 'le'}.npy"
    np.save(path(name), a)
    expect(name, a, dtype=dt)

b = np.array([[True, False, True], [False, False, True]])
np.save(path('b1.npy'), b)
expect('b1.npy', b, dtype='|b1')

# Half precision corner cases: signed zero, largest normal, smallest normal, subnormals, inf, nan.
half = np.array([0.0, -0.0, 1.0, -2.0, 65504.0, 2.0**-14, 2.0**-24, 3 * 2.0**-24, np.inf, -np.inf, np.nan, 0.1], dtype='<f2')
np.save(path('f2_special.npy'), half.reshape(3, 4))
expect('f2_special.npy', half.reshape(3, 4), dtype='<f2')

fort = np.asfortranarray((rng.standard_normal((5, 3)) * 2).astype('<f4'))
np.save(path('f4_fortran.npy'), fort)
expect('f4_fortran.npy', fort, dtype='<f4')
fort8 = np.asfortranarray(rng.standard_normal((4, 6)).astype('>f8'))
np.save(path('f8_be_fortran.npy'), fort8)
expect('f8_be_fortran.npy', fort8, dtype='>f8')

for version in [(1, 0), (2, 0), (3, 0)]:
    name = f'v{version[0]}.npy'
    with open(path(name), 'wb') as f:
        np.lib.format.write_array(f, logits.astype('<f4'), version=version)
    expect(name, logits.astype('<f4'), dtype='<f4')

np.save(path('vector_f4.npy'), logits[0].astype('<f4'))
expect('vector_f4.npy', logits[0].astype('<f4'), dtype='<f4')

bf16_values = np.array([1.0, -2.5, 3.140625, 0.0, -0.0, 1e30], dtype=np.float32)
bf16_bits = (bf16_values.view(np.uint32) >> 16).astype('<u2')
np.save(path('bf16_as_u2.npy'), bf16_bits.reshape(2, 3))
expect('bf16_as_u2.npy', (bf16_bits.astype(np.uint32) << 16).view(np.float32).reshape(2, 3), dtype='<u2')

# Labels: integers, integral floats, and ones that must be refused.
np.save(path('labels_i8.npy'), labels)
expect('labels_i8.npy', labels, as_f32=False, dtype='<i8')
np.save(path('labels_f4.npy'), labels.astype('<f4'))
np.save(path('labels_col_i4.npy'), labels.astype('<i4').reshape(-1, 1))
np.save(path('labels_frac_f8.npy'), np.array([0.0, 1.5, 2.0]))
np.save(path('labels_neg_i4.npy'), np.array([0, -1, 2], dtype='<i4'))

# Shapes the engine cannot use, and dtypes it does not read.
np.save(path('scalar.npy'), np.float32(3.5))
np.save(path('cube.npy'), np.zeros((2, 2, 2), dtype='<f4'))
np.save(path('complex.npy'), np.zeros(3, dtype='<c8'))
np.save(path('empty_rows.npy'), np.zeros((0, 4), dtype='<f4'))
expect('empty_rows.npy', np.zeros((0, 4), dtype='<f4'), dtype='<f4')

# .npz: stored and deflated, several members and one.
np.savez(path('stored.npz'), logits=logits.astype('<f4'), labels=labels)
np.savez_compressed(path('deflated.npz'), logits=logits.astype('<f4'), labels=labels, fortran=fort)
np.savez_compressed(path('single.npz'), logits.astype('<f8'))
expect('stored.npz:logits', logits.astype('<f4'), dtype='<f4')
expect('deflated.npz:fortran', fort, dtype='<f4')
expect('single.npz', logits.astype('<f8'), dtype='<f8')

# ZIP64: lower zipfile's limits so a tiny archive gets ZIP64 extra fields in its central directory and
# a ZIP64 end-of-central-directory record and locator, exactly as a >4 GiB archive would.
saved = zipfile.ZIP64_LIMIT
zipfile.ZIP64_LIMIT = 64
try:
    with zipfile.ZipFile(path('zip64.npz'), 'w', compression=zipfile.ZIP_STORED, allowZip64=True) as z:
        for member, arr, method in [('labels.npy', labels, zipfile.ZIP_STORED), ('logits.npy', logits.astype('<f4'), zipfile.ZIP_DEFLATED)]:
            info = zipfile.ZipInfo(member, date_time=(2024, 9, 23, 0, 0, 0))
            info.compress_type = method
            with z.open(info, 'w', force_zip64=True) as f:
                np.lib.format.write_array(f, arr)
finally:
    zipfile.ZIP64_LIMIT = saved
expect('zip64.npz:logits', logits.astype('<f4'), dtype='<f4')
expect('zip64.npz:labels', labels, as_f32=False, dtype='<i8')
with open(path('zip64.npz'), 'rb') as f:
    raw = f.read()
assert b'PK\x06\x06' in raw and b'PK\x06\x07' in raw, 'zip64.npz lacks ZIP64 records'


# .safetensors, written from the format's description: u64 LE header length, JSON header, data.
def write_safetensors(name, tensors, metadata=None):
    header = {}
    blobs = []
    offset = 0
    for tname, (dtype, shape, data) in tensors.items():
        header[tname] = {'dtype': dtype, 'shape': list(shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header['__metadata__'] = metadata
    text = json.dumps(header, separators=(',', ':')).encode()
    text += b' ' * (-len(text) % 8)
    with open(path(name), 'wb') as f:
        f.write(struct.pack('<Q', len(text)) + text + b''.join(blobs))


f32 = logits.astype('<f4')
f16 = logits.astype('<f2')
bf16 = (f32.view('<u4') >> 16).astype('<u2')
write_safetensors(
    'model.safetensors',
    {
        'logits': ('F32', f32.shape, f32.tobytes()),
        'half': ('F16', f16.shape, f16.tobytes()),
        'brain': ('BF16', bf16.shape, bf16.tobytes()),
        'double': ('F64', logits.shape, logits.astype('<f8').tobytes()),
        'ints': ('I32', (4,), np.array([7, -3, 0, 2**30], dtype='<i4').tobytes()),
        'labels': ('I64', labels.shape, labels.astype('<i8').tobytes()),
        'odd': ('F8_E4M3', (2,), b'\x00\x01'),
    },
    metadata={'format': 'pt'},
)
write_safetensors('one.safetensors', {'w': ('F32', f32.shape, f32.tobytes())})
expect('model.safetensors:logits', f32, dtype='F32')
expect('model.safetensors:half', f16, dtype='F16')
expect('model.safetensors:brain', (bf16.astype(np.uint32) << 16).view(np.float32), dtype='BF16')
expect('model.safetensors:double', logits, dtype='F64')
expect('model.safetensors:ints', np.array([7, -3, 0, 2**30]), as_f32=False, dtype='I32')
expect('model.safetensors:labels', labels, as_f32=False, dtype='I64')
expect('one.safetensors', f32, dtype='F32')

# Text: savetxt's own output (header as a comment), a named header, other delimiters.
np.savetxt(path('savetxt.txt'), f32, header='logits')
expect('savetxt.txt', np.loadtxt(path('savetxt.txt'), ndmin=2), dtype='float64')
np.savetxt(path('header.csv'), f32, delimiter=',', header='a,b,c,d', comments='')
expect('header.csv', np.loadtxt(path('header.csv'), delimiter=',', skiprows=1, ndmin=2), dtype='float64')
with open(path('semicolon.csv'), 'w') as f:
    f.write('1.5;-2;3e2\n4;nan;-inf\n')
expect('semicolon.csv', np.array([[1.5, -2, 300], [4, np.nan, -np.inf]]), dtype='float64')
with open(path('ragged.csv'), 'w') as f:
    f.write('1,2,3\n4,5,6\n7,8\n')
with open(path('word.csv'), 'w') as f:
    f.write('x,y\n1,2\n3,oops\n')
np.savetxt(path('labels.txt'), labels, fmt='%d')

# Class groups.
names = ['cat', 'dog', 'fish', 'bird', 'frog', 'red fox']
with open(path('names.txt'), 'w') as f:
    f.write('\n'.join(names) + '\n')
with open(path('groups.json'), 'w') as f:
    json.dump({'seen': [0, 2, 4], 'absent': [1, 3]}, f)
with open(path('groups_names.json'), 'w') as f:
    json.dump({'seen': ['dog', 'cat'], 'absent': ['red fox']}, f)
with open(path('seen.txt'), 'w') as f:
    f.write('# seen classes\n3\n1, 4\n')
with open(path('seen_names.txt'), 'w') as f:
    f.write('fish\nred fox\n')
with open(path('overlap.json'), 'w') as f:
    json.dump({'seen': [0, 1], 'absent': [1, 2]}, f)

with open(path('expected.json'), 'w') as f:
    json.dump(expected, f, indent=1)
print(f'wrote {len(os.listdir(OUT))} files to {OUT}')
