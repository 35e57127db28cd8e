;; Exact nearest / second-nearest search between two sets of 256-bit binary descriptors, with the
;; column minima the mutual check needs, in one pass over the distance matrix. WASM SIMD has a
;; byte popcount (i8x16.popcnt), which JS lacks; this is the hot loop of geometric verification.
;; Build: npm run build:wasm (wabt's wat2wasm) -> nearest.wasm, committed beside this file.
;;
;; Memory layout (bytes), all little-endian:
;;   0       query descriptors, 32 bytes each, at most 2048
;;   65536   train descriptors, 32 bytes each, at most 2048
;;   131072  best[i]    i32, index of the nearest train descriptor of query i (-1 if none)
;;   139264  d1[i]      i32, its distance
;;   147456  d2[i]      i32, the second-nearest distance (257 if none)
;;   155648  colBest[j] i32, the query nearest to train j (lowest index on ties)
;;   163840  colD[j]    i32, that distance
(module
  (memory (export "memory") 3)
  (func (export "nearest") (param $nq i32) (param $nt i32)
    (local $i i32) (local $j i32) (local $qa v128) (local $qb v128) (local $s v128) (local $tp i32)
    (local $d i32) (local $b1 i32) (local $b2 i32) (local $bi i32) (local $cd i32)
    ;; column minima start at "none"
    (local.set $j (i32.const 0))
    (block $init_done
      (loop $init
        (br_if $init_done (i32.ge_u (local.get $j) (local.get $nt)))
        (i32.store (i32.add (i32.const 155648) (i32.shl (local.get $j) (i32.const 2))) (i32.const -1))
        (i32.store (i32.add (i32.const 163840) (i32.shl (local.get $j) (i32.const 2))) (i32.const 257))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br $init)))
    (local.set $i (i32.const 0))
    (block $rows_done
      (loop $rows
        (br_if $rows_done (i32.ge_u (local.get $i) (local.get $nq)))
        (local.set $qa (v128.load (i32.shl (local.get $i) (i32.const 5))))
        (local.set $qb (v128.load offset=16 (i32.shl (local.get $i) (i32.const 5))))
        (local.set $b1 (i32.const 257))
        (local.set $b2 (i32.const 257))
        (local.set $bi (i32.const -1))
        (local.set $j (i32.const 0))
        (block $cols_done
          (loop $cols
            (br_if $cols_done (i32.ge_u (local.get $j) (local.get $nt)))
            (local.set $tp (i32.add (i32.const 65536) (i32.shl (local.get $j) (i32.const 5))))
            ;; per-byte counts of both halves (at most 16 a byte), widened and summed to 4 lanes
            (local.set $s
              (i32x4.extadd_pairwise_i16x8_u
                (i16x8.extadd_pairwise_i8x16_u
                  (i8x16.add
                    (i8x16.popcnt (v128.xor (local.get $qa) (v128.load (local.get $tp))))
                    (i8x16.popcnt (v128.xor (local.get $qb) (v128.load offset=16 (local.get $tp))))))))
            (local.set $s (i32x4.add (local.get $s) (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $s) (local.get $s))))
            (local.set $d (i32.add (i32x4.extract_lane 0 (local.get $s)) (i32x4.extract_lane 1 (local.get $s))))
            (if (i32.lt_u (local.get $d) (local.get $b1))
              (then
                (local.set $b2 (local.get $b1))
                (local.set $b1 (local.get $d))
                (local.set $bi (local.get $j)))
              (else
                (if (i32.lt_u (local.get $d) (local.get $b2)) (then (local.set $b2 (local.get $d))))))
            (local.set $cd (i32.add (i32.const 163840) (i32.shl (local.get $j) (i32.const 2))))
            (if (i32.lt_u (local.get $d) (i32.load (local.get $cd)))
              (then
                (i32.store (local.get $cd) (local.get $d))
                (i32.store (i32.add (i32.const 155648) (i32.shl (local.get $j) (i32.const 2))) (local.get $i))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $cols)))
        (i32.store (i32.add (i32.const 131072) (i32.shl (local.get $i) (i32.const 2))) (local.get $bi))
        (i32.store (i32.add (i32.const 139264) (i32.shl (local.get $i) (i32.const 2))) (local.get $b1))
        (i32.store (i32.add (i32.const 147456) (i32.shl (local.get $i) (i32.const 2))) (local.get $b2))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $rows)))))
