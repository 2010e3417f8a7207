;; ftcal's CPU matmul: C = op(A)·op(B) (+ bias) in f32 with WebAssembly SIMD, blocked the BLIS way.
;;
;; The arithmetic is fixed, whatever the threads, tiles or chunks (cpu/matmul.ts `matmulCpu` is its scalar
;; twin, bit for bit): for each element, K is cut into blocks of KC = 256 steps; inside a block the products
;; a·b are rounded to f32 and added in ascending order to an f32 sum that starts at +0; the block sums are
;; added in block order (the first is stored as it is); a bias is added last. No fused multiply-add: plain
;; SIMD has none, and mul + add rounds the same on every engine.
;;
;; Layouts, all in the one imported memory (addresses and strides in bytes unless named in elements):
;; - packed B (cpu/matmul-wasm.ts packs it): ⌈N/8⌉ panels of 8 columns; panel j holds K steps of 8 floats,
;;   at pb + (j·K + p)·32; columns past N are zeros.
;; - packed A (packA, per block): ⌈mc/4⌉ panels of 4 rows; panel r holds kc steps of 4 v128, each one value
;;   of A splatted to 4 lanes ("pre-splatted": a plain v128.load, which V8 folds an offset into, instead of
;;   a load32_splat per value, which it does not), at scratch + (r·kc + p)·64 + i·16; rows past mc are zeros.
;; - C: rows of npad = ⌈N/8⌉·8 floats; a range of rows starts on a multiple of 4 and may run on past its end
;;   into padding rows that the caller owns (tiles are always whole).
;;
;; The 4×8 tile keeps 8 accumulators, 2 B vectors and one A vector in registers: 11 of the 15 xmm registers
;; V8 allocates on x64. Larger tiles, or unrolling K, spill there, because V8 hoists a loop body's loads
;; above its arithmetic.
(module
  (import "env" "memory" (memory 1 65536 shared))

  ;; Steps of K per block (the summation blocks above) and rows of A per packed block.
  (global $KC (export "KC") i32 (i32.const 256))
  (global $MC (export "MC") i32 (i32.const 64))

  ;; One 4×8 tile over kc ≥ 1 steps: C tile = S (store) or C + S (add ≠ 0), S the tile's block sums.
  (func $tile (param $kc i32) (param $pa i32) (param $pb i32) (param $pc i32) (param $ldc i32) (param $add i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $a v128) (local $end i32)
    (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local.set $end (i32.add (local.get $pb) (i32.shl (local.get $kc) (i32.const 5))))
    (loop $step
      (local.set $b0 (v128.load (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $a (v128.load (local.get $pa)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=16 (local.get $pa)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=32 (local.get $pa)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load offset=48 (local.get $pa)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 64)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (br_if $step (i32.lt_u (local.get $pb) (local.get $end))))
    (local.set $r1 (i32.add (local.get $pc) (local.get $ldc)))
    (local.set $r2 (i32.add (local.get $r1) (local.get $ldc)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $ldc)))
    (if (local.get $add)
      (then
        (local.set $c00 (f32x4.add (v128.load (local.get $pc)) (local.get $c00)))
        (local.set $c01 (f32x4.add (v128.load offset=16 (local.get $pc)) (local.get $c01)))
        (local.set $c10 (f32x4.add (v128.load (local.get $r1)) (local.get $c10)))
        (local.set $c11 (f32x4.add (v128.load offset=16 (local.get $r1)) (local.get $c11)))
        (local.set $c20 (f32x4.add (v128.load (local.get $r2)) (local.get $c20)))
        (local.set $c21 (f32x4.add (v128.load offset=16 (local.get $r2)) (local.get $c21)))
        (local.set $c30 (f32x4.add (v128.load (local.get $r3)) (local.get $c30)))
        (local.set $c31 (f32x4.add (v128.load offset=16 (local.get $r3)) (local.get $c31)))))
    (v128.store (local.get $pc) (local.get $c00))
    (v128.store offset=16 (local.get $pc) (local.get $c01))
    (v128.store (local.get $r1) (local.get $c10))
    (v128.store offset=16 (local.get $r1) (local.get $c11))
    (v128.store (local.get $r2) (local.get $c20))
    (v128.store offset=16 (local.get $r2) (local.get $c21))
    (v128.store (local.get $r3) (local.get $c30))
    (v128.store offset=16 (local.get $r3) (local.get $c31)))

  ;; Packs rows [0, mc) × steps [0, kc) of op(A), element (i, p) at a + i·sm + p·sk, into dst (layout above).
  (func $packA (param $a i32) (param $sm i32) (param $sk i32) (param $mc i32) (param $kc i32) (param $dst i32)
    (local $row i32) (local $rows i32) (local $src i32) (local $out i32) (local $end i32)
    (local.set $rows (i32.and (i32.add (local.get $mc) (i32.const 3)) (i32.const -4)))
    (loop $eachRow
      ;; Row `row` is lane row & 3 of panel row >> 2.
      (local.set $out
        (i32.add (local.get $dst)
          (i32.add
            (i32.mul (i32.shr_u (local.get $row) (i32.const 2)) (i32.shl (local.get $kc) (i32.const 6)))
            (i32.shl (i32.and (local.get $row) (i32.const 3)) (i32.const 4)))))
      (local.set $end (i32.add (local.get $out) (i32.shl (local.get $kc) (i32.const 6))))
      (if (i32.lt_u (local.get $row) (local.get $mc))
        (then
          (local.set $src (i32.add (local.get $a) (i32.mul (local.get $row) (local.get $sm))))
          (loop $eachStep
            (v128.store (local.get $out) (f32x4.splat (f32.load (local.get $src))))
            (local.set $src (i32.add (local.get $src) (local.get $sk)))
            (local.set $out (i32.add (local.get $out) (i32.const 64)))
            (br_if $eachStep (i32.lt_u (local.get $out) (local.get $end)))))
        (else
          (loop $eachZero
            (v128.store (local.get $out) (v128.const i32x4 0 0 0 0))
            (local.set $out (i32.add (local.get $out) (i32.const 64)))
            (br_if $eachZero (i32.lt_u (local.get $out) (local.get $end))))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br_if $eachRow (i32.lt_u (local.get $row) (local.get $rows)))))

  ;; C rows [0, rows) = op(A) rows [0, rows) · op(B) (+ bias when hasBias), K = k ≥ 1 steps.
  ;; a: element (0, 0) of the range; sm, sk: element strides of op(A) between rows and between steps.
  ;; pb: packed B; npad: C's row length (a multiple of 8); c: row 0 of the range; bias: npad floats;
  ;; scratch: room for one packed A block, MC·KC·16 bytes, that no other caller uses meanwhile.
  (func (export "gemm")
    (param $a i32) (param $sm i32) (param $sk i32) (param $rows i32) (param $k i32)
    (param $pb i32) (param $npad i32) (param $c i32) (param $hasBias i32) (param $bias i32) (param $scratch i32)
    (local $ldc i32) (local $i0 i32) (local $mc i32) (local $p0 i32) (local $kc i32)
    (local $j i32) (local $bp i32) (local $r i32) (local $panels i32) (local $crow i32)
    (local $at i32) (local $end i32)
    (local.set $ldc (i32.shl (local.get $npad) (i32.const 2)))
    (local.set $sm (i32.shl (local.get $sm) (i32.const 2)))
    (local.set $sk (i32.shl (local.get $sk) (i32.const 2)))
    (block $done
      (loop $eachBlockOfRows
        (br_if $done (i32.ge_u (local.get $i0) (local.get $rows)))
        (local.set $mc (i32.sub (local.get $rows) (local.get $i0)))
        (if (i32.gt_u (local.get $mc) (global.get $MC)) (then (local.set $mc (global.get $MC))))
        (local.set $panels (i32.shr_u (i32.add (local.get $mc) (i32.const 3)) (i32.const 2)))
        (local.set $crow (i32.add (local.get $c) (i32.mul (local.get $i0) (local.get $ldc))))
        (local.set $p0 (i32.const 0))
        (loop $eachBlockOfK
          (local.set $kc (i32.sub (local.get $k) (local.get $p0)))
          (if (i32.gt_u (local.get $kc) (global.get $KC)) (then (local.set $kc (global.get $KC))))
          (call $packA
            (i32.add (local.get $a)
              (i32.add (i32.mul (local.get $i0) (local.get $sm)) (i32.mul (local.get $p0) (local.get $sk))))
            (local.get $sm) (local.get $sk) (local.get $mc) (local.get $kc) (local.get $scratch))
          ;; Each 8-column panel of B (8 KB at kc = 256, in L1) meets every 4-row panel of the A block (in L2).
          (local.set $j (i32.const 0))
          (loop $eachPanelOfB
            ;; Column j starts panel j/8: its step p0 is at pb + (j/8·K + p0)·32.
            (local.set $bp
              (i32.add (local.get $pb)
                (i32.add (i32.shl (i32.mul (local.get $j) (local.get $k)) (i32.const 2))
                  (i32.shl (local.get $p0) (i32.const 5)))))
            (local.set $r (i32.const 0))
            (loop $eachPanelOfA
              (call $tile (local.get $kc)
                (i32.add (local.get $scratch) (i32.mul (local.get $r) (i32.shl (local.get $kc) (i32.const 6))))
                (local.get $bp)
                (i32.add (local.get $crow)
                  (i32.add (i32.mul (i32.shl (local.get $r) (i32.const 2)) (local.get $ldc))
                    (i32.shl (local.get $j) (i32.const 2))))
                (local.get $ldc) (local.get $p0))
              (local.set $r (i32.add (local.get $r) (i32.const 1)))
              (br_if $eachPanelOfA (i32.lt_u (local.get $r) (local.get $panels))))
            (local.set $j (i32.add (local.get $j) (i32.const 8)))
            (br_if $eachPanelOfB (i32.lt_u (local.get $j) (local.get $npad))))
          (local.set $p0 (i32.add (local.get $p0) (local.get $kc)))
          (br_if $eachBlockOfK (i32.lt_u (local.get $p0) (local.get $k))))
        (if (local.get $hasBias)
          (then
            (local.set $at (local.get $crow))
            (local.set $end (i32.add (local.get $crow) (i32.mul (local.get $mc) (local.get $ldc))))
            (loop $eachRowOfBias
              (local.set $j (i32.const 0))
              (loop $eachQuad
                (v128.store (i32.add (local.get $at) (local.get $j))
                  (f32x4.add
                    (v128.load (i32.add (local.get $at) (local.get $j)))
                    (v128.load (i32.add (local.get $bias) (local.get $j)))))
                (local.set $j (i32.add (local.get $j) (i32.const 16)))
                (br_if $eachQuad (i32.lt_u (local.get $j) (local.get $ldc))))
              (local.set $at (i32.add (local.get $at) (local.get $ldc)))
              (br_if $eachRowOfBias (i32.lt_u (local.get $at) (local.get $end))))))
        (local.set $i0 (i32.add (local.get $i0) (local.get $mc)))
        (br $eachBlockOfRows)))))
