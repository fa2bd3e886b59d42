using GovernedExecution.Internal;

namespace GovernedExecution.Tests.Internal;

/// <summary>Ids from the pooled generator: version 4 UUIDs, never repeated, every random bit random.</summary>
public sealed class RandomIdsTests
{
    [Fact]
    public void Ids_are_version_4_variant_1_uuids()
    {
        for (var i = 0; i < 2_000; i++)
        {
            var text = RandomIds.NewGuid().ToString("D");

            Assert.Equal('4', text[14]);
            Assert.Contains(text[19], "89ab");
            Assert.Equal(4, RandomIds.NewGuid().Version);
        }
    }

    [Fact]
    public async Task Ids_never_repeat_within_or_across_threads()
    {
        var perThread = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            var ids = new Guid[20_000];
            for (var i = 0; i < ids.Length; i++)
            {
                ids[i] = RandomIds.NewGuid();
            }

            return ids;
        })));

        var all = perThread.SelectMany(ids => ids).ToArray();
        Assert.Equal(all.Length, all.Distinct().Count());
    }

    [Fact]
    public void Every_random_bit_is_set_about_half_the_time()
    {
        const int Count = 10_000;
        var ones = new int[128];
        Span<byte> bytes = stackalloc byte[16];
        for (var i = 0; i < Count; i++)
        {
            RandomIds.NewGuid().TryWriteBytes(bytes, bigEndian: true, out _);
            for (var bit = 0; bit < 128; bit++)
            {
                ones[bit] += (bytes[bit / 8] >> (7 - (bit % 8))) & 1;
            }
        }

        // The version (bits 48-51 = 0100) and variant (bits 64-65 = 10) are fixed; the other 122 bits are random: a
        // bit stuck at 0 or 1, or a pool handed out twice, falls far outside 40-60 % (20 standard deviations).
        int[] fixedBits = [48, 49, 50, 51, 64, 65];
        for (var bit = 0; bit < 128; bit++)
        {
            if (fixedBits.Contains(bit))
            {
                Assert.Equal(bit is 49 or 64 ? Count : 0, ones[bit]);
            }
            else
            {
                Assert.InRange(ones[bit], Count * 4 / 10, Count * 6 / 10);
            }
        }
    }
}
