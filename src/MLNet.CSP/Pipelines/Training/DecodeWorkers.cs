using System.Collections.Concurrent;

namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// Dedicated threads that decode images for one streamed pass. Each runs libtorch on one intra-op thread, so the workers'
/// small resizes never join (and stall) the OpenMP team the network trains on; the threads end with the pass. libtorch also
/// keeps that count as the default of threads that first use it during the pass; the pass restores the network's count
/// (from the training thread) when it ends.
/// </summary>
internal sealed class DecodeWorkers : IDisposable
{
    private readonly BlockingCollection<(int Row, TaskCompletionSource<Tensor> Result)> jobs = new();
    private readonly Thread[] threads;
    private readonly Func<int, Tensor> decode;
    private int stopped;

    public DecodeWorkers(int count, Func<int, Tensor> decode)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        this.decode = decode;
        threads = [.. Enumerable.Range(0, count).Select(i => new Thread(Work) { IsBackground = true, Name = $"csp-decode-{i}" })];
        foreach (var thread in threads) thread.Start();
    }

    /// <summary>Queues a row; the task completes with its pixels (the caller owns them) or the decoding error.</summary>
    public Task<Tensor> Submit(int row)
    {
        var result = new TaskCompletionSource<Tensor>(TaskCreationOptions.RunContinuationsAsynchronously);
        jobs.Add((row, result));
        return result.Task;
    }

    /// <summary>Lets the queued rows finish and waits for the threads to end.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref stopped, 1) != 0) return;
        jobs.CompleteAdding();
        foreach (var thread in threads) thread.Join();
    }

    private void Work()
    {
        torch.set_num_threads(1);
        foreach (var (row, result) in jobs.GetConsumingEnumerable())
        {
            try
            {
                result.SetResult(decode(row));
            }
            catch (Exception e)
            {
                result.SetException(e);
            }
        }
    }

    public void Dispose()
    {
        Stop();
        jobs.Dispose();
    }
}
