/**
 * The native Kafka sink's partitioner remembers kafkajs's default answer per partition count and key: it must
 * give exactly what kafkajs would (a device's events on one partition, the same one the Java client picks), also after
 * the topic gains partitions and once its memory is full.
 */
import { Partitioners, type PartitionerArgs } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { rememberingPartitioner } from '../../src-main/core/historian/kafkajs.sink'

const metadata = (n: number): PartitionerArgs['partitionMetadata'] => Array.from({ length: n }, (_, i) => ({ partitionErrorCode: 0, partitionId: i, leader: 1, replicas: [1], isr: [1] }))

describe('the native Kafka sink partitioner', () => {
  it('gives the default partitioner’s answer for every key and partition count, however often asked', () => {
    const reference = Partitioners.DefaultPartitioner()
    const keys = Array.from({ length: 120 }, (_, i) => `org:type:device${i}`)
    // Memory enough for every key, and memory for 50 only (it starts over many times).
    for (const ours of [rememberingPartitioner(Partitioners.DefaultPartitioner)(), rememberingPartitioner(Partitioners.DefaultPartitioner, 50)()]) {
      for (const partitions of [1, 3, 12, 3]) {
        for (const key of [...keys, ...keys]) {
          const args = { topic: 'events', partitionMetadata: metadata(partitions), message: { key, value: 'v' } }
          expect(ours(args)).toBe(reference(args))
        }
      }
    }
  })

  it('keeps an explicit partition and spreads records without a key as kafkajs does', () => {
    const ours = rememberingPartitioner(Partitioners.DefaultPartitioner)()
    expect(ours({ topic: 't', partitionMetadata: metadata(4), message: { key: 'k', value: 'v', partition: 2 } })).toBe(2)
    const seen = new Set(Array.from({ length: 8 }, () => ours({ topic: 't', partitionMetadata: metadata(4), message: { value: 'v' } })))
    expect(seen.size).toBe(4)
  })
})
