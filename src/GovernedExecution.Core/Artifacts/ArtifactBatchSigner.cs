using GovernedExecution.Artifacts.Keys;
using GovernedExecution.Diagnostics;

namespace GovernedExecution.Artifacts;

/// <summary>
/// Group commit for signatures: a caller that finds no signature under way signs at once (a batch of one, no timer,
/// no added latency); callers that arrive while one is being computed queue, and the first of them, when it is
/// over, signs everything queued by then (at most <see cref="ArtifactBatch.MaxBatch"/>) with one signature. A signer
/// fault fails every caller of its batch with <see cref="KeyUnavailableException"/>; none gets an artifact.
/// </summary>
internal sealed class ArtifactBatchSigner
{
    /// <summary>How many callers may wait for a signature; one more is refused at once (the signer is stuck or far behind).</summary>
    internal const int MaxQueued = 16 * ArtifactBatch.MaxBatch;

    private readonly Func<ValueTask> _letWaitingWorkRun;
    private readonly Lock _gate = new();
    private readonly Queue<Entry> _queue = new();
    private bool _busy;

    /// <param name="letWaitingWorkRun">
    /// What a leader awaits before it takes its batch: by default one turn of the thread pool when work is waiting for a
    /// thread (<see cref="LetWaitingWorkRun"/>); tests hold it to make a batch form.
    /// </param>
    internal ArtifactBatchSigner(Func<ValueTask>? letWaitingWorkRun = null)
    {
        _letWaitingWorkRun = letWaitingWorkRun ?? LetWaitingWorkRun;
    }

    /// <summary>Callers waiting for the next batch (for tests).</summary>
    internal int Queued
    {
        get
        {
            lock (_gate)
            {
                return _queue.Count;
            }
        }
    }

    /// <summary>Signs one artifact's payload, alone or with whatever queues while a signature is under way.</summary>
    /// <exception cref="KeyUnavailableException">The signer failed, or too many callers are waiting.</exception>
    internal async ValueTask<byte[]> SignAsync(SigningKey key, byte[] payload)
    {
        var entry = new Entry(key, payload);
        bool lead;
        lock (_gate)
        {
            lead = !_busy;
            if (lead)
            {
                _busy = true;
            }
            else if (_queue.Count >= MaxQueued)
            {
                throw new KeyUnavailableException("Too many artifacts are waiting for a signature.", new InvalidOperationException("signing queue full"));
            }
            else
            {
                _queue.Enqueue(entry);
            }
        }

        // A queued caller is woken either with its artifact or with the turn to sign the next batch. This wait is not
        // cancelable on purpose: the turn must not be lost; the executor bounds the caller's own wait.
        if (!lead && await entry.Wake.Task.ConfigureAwait(false))
        {
            return entry.Result();
        }

        // The signer is ours. Callers that are ready but wait for a processor would arrive during this signature only if
        // a core were free to run them: let them run up to the queue first, so that they share this signature instead of
        // each paying for its own (with every core busy, signing at once would not make this caller finish sooner).
        await _letWaitingWorkRun().ConfigureAwait(false);

        List<Entry> batch;
        lock (_gate)
        {
            batch = new List<Entry>(Math.Min(_queue.Count + 1, ArtifactBatch.MaxBatch)) { entry };
            while (batch.Count < ArtifactBatch.MaxBatch && _queue.TryDequeue(out var next))
            {
                batch.Add(next);
            }
        }

        try
        {
            SignBatch(batch);
        }
        finally
        {
            for (var i = 1; i < batch.Count; i++)
            {
                batch[i].Wake.TrySetResult(true);
            }

            HandOff();
        }

        return entry.Result();
    }

    /// <summary>
    /// Nothing when no work item waits for a thread (a lone caller is signed at once); otherwise one turn at the back
    /// of the thread pool's queue. Never throws.
    /// </summary>
    private static ValueTask LetWaitingWorkRun() => ThreadPool.PendingWorkItemCount == 0 ? default : YieldOnceAsync();

    private static async ValueTask YieldOnceAsync() => await Task.Yield();

    private void HandOff()
    {
        Entry? next;
        lock (_gate)
        {
            if (!_queue.TryDequeue(out next))
            {
                _busy = false;
            }
        }

        next?.Wake.TrySetResult(false);
    }

    /// <summary>One signature per signing key in the batch (a key rotated while callers queued gets its own).</summary>
    private static void SignBatch(List<Entry> batch)
    {
        var done = 0;
        while (done < batch.Count)
        {
            var key = batch[done].Key;
            var group = new List<Entry>(batch.Count - done);
            for (var i = done; i < batch.Count; i++)
            {
                if (ReferenceEquals(batch[i].Key, key) && batch[i].Signed is null && batch[i].Error is null)
                {
                    group.Add(batch[i]);
                }
            }

            try
            {
                var signed = ArtifactBatch.Sign(key, group.ConvertAll(e => e.Payload));
                for (var i = 0; i < group.Count; i++)
                {
                    group[i].Signed = signed[i];
                }

                GovernedTelemetry.ArtifactBatchSize.Record(group.Count);
            }
            catch (Exception ex)
            {
                foreach (var e in group)
                {
                    e.Error = ex is ObjectDisposedException
                        ? new KeyUnavailableException("The signing key was disposed.", ex)
                        : new KeyUnavailableException("The signer failed.", ex);
                }
            }

            while (done < batch.Count && (batch[done].Signed is not null || batch[done].Error is not null))
            {
                done++;
            }
        }
    }

    private sealed class Entry(SigningKey key, byte[] payload)
    {
        internal SigningKey Key { get; } = key;

        internal byte[] Payload { get; } = payload;

        internal TaskCompletionSource<bool> Wake { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        internal byte[]? Signed { get; set; }

        internal Exception? Error { get; set; }

        internal byte[] Result() => Signed ?? throw Error ?? new KeyUnavailableException("The signer returned no artifact.", new InvalidOperationException("no artifact"));
    }
}
