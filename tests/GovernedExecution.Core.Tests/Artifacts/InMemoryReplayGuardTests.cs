using GovernedExecution.Artifacts;
using Microsoft.Extensions.Time.Testing;

namespace GovernedExecution.Tests.Artifacts;

/// <summary>
/// The in-memory replay guard on its own: each id is accepted once, a full guard refuses without forgetting an
/// unexpired id, and what it costs to forget ids does not grow with the ids it keeps (a full guard once walked every
/// id it held on every call, which made each call cost the guard's size).
/// </summary>
public sealed class InMemoryReplayGuardTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 5, 6, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Full_guard_refuses_new_ids_without_walking_the_ids_it_keeps()
    {
        var guard = new InMemoryReplayGuard(_time, capacity: 1_000, retention: TimeSpan.Zero);
        var expires = _time.GetUtcNow().AddMinutes(10);
        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(await guard.TryConsumeAsync(Guid.NewGuid(), expires, default));
        }

        for (var i = 0; i < 5_000; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => guard.TryConsumeAsync(Guid.NewGuid(), expires, default).AsTask());
        }

        Assert.Equal(0, guard.Examined);
        Assert.Equal(1_000, guard.Count);
    }

    [Fact]
    public async Task Each_id_is_looked_at_once_when_it_falls_due_and_unexpired_ids_are_kept()
    {
        var guard = new InMemoryReplayGuard(_time, capacity: 10_000, retention: TimeSpan.FromSeconds(30));
        var start = _time.GetUtcNow();
        var ids = new Guid[2_000];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = Guid.NewGuid();

            // Expiries out of order: odd ids fall due an hour after even ones.
            Assert.True(await guard.TryConsumeAsync(ids[i], start.AddSeconds(i % 2 == 0 ? 60 : 3_600), default));
        }

        // 91 s later: every even id is past expiry plus retention; no odd one is.
        _time.Advance(TimeSpan.FromSeconds(91));
        for (var i = 0; i < 100; i++)
        {
            Assert.True(await guard.TryConsumeAsync(Guid.NewGuid(), start.AddHours(2), default));
        }

        Assert.Equal(1_000, guard.Examined);
        Assert.Equal(1_100, guard.Count);
        for (var i = 1; i < ids.Length; i += 2)
        {
            Assert.False(await guard.TryConsumeAsync(ids[i], start.AddSeconds(3_600), default));
        }
    }

    [Fact]
    public async Task Id_inside_its_retention_is_still_a_replay()
    {
        var guard = new InMemoryReplayGuard(_time, capacity: 10, retention: TimeSpan.FromSeconds(30));
        var id = Guid.NewGuid();
        Assert.True(await guard.TryConsumeAsync(id, _time.GetUtcNow().AddSeconds(60), default));

        _time.Advance(TimeSpan.FromSeconds(90));
        Assert.False(await guard.TryConsumeAsync(id, _time.GetUtcNow(), default));

        _time.Advance(TimeSpan.FromTicks(1));
        Assert.True(await guard.TryConsumeAsync(Guid.NewGuid(), _time.GetUtcNow(), default));
        Assert.Equal(1, guard.Examined);
    }

    [Fact]
    public async Task Expiry_at_the_end_of_time_is_held_not_an_overflow()
    {
        var guard = new InMemoryReplayGuard(_time, capacity: 10);
        var id = Guid.NewGuid();

        Assert.True(await guard.TryConsumeAsync(id, DateTimeOffset.MaxValue, default));
        Assert.False(await guard.TryConsumeAsync(id, DateTimeOffset.MaxValue, default));
    }

    [Fact]
    public async Task Concurrent_callers_see_each_id_accepted_exactly_once()
    {
        var guard = new InMemoryReplayGuard(_time, capacity: 100_000);
        var ids = Enumerable.Range(0, 2_000).Select(_ => Guid.NewGuid()).ToArray();
        var expires = _time.GetUtcNow().AddMinutes(5);
        var accepted = 0;

        await Parallel.ForAsync(0, 8, async (_, ct) =>
        {
            foreach (var id in ids)
            {
                if (await guard.TryConsumeAsync(id, expires, ct))
                {
                    Interlocked.Increment(ref accepted);
                }
            }
        });

        Assert.Equal(ids.Length, accepted);
        Assert.Equal(ids.Length, guard.Count);
    }
}
