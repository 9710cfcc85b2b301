using System.Diagnostics;
using System.Threading.Channels;

namespace MLNet.CSP.Pipelines.Serving;

/// <summary>
/// Dynamic batching for one transformer: callers preprocess their image on their own thread and queue it; one scoring thread
/// takes what is queued, waits up to a short delay for more (until the batch is full), computes the batch in one forward pass
/// and hands each caller its own row of values. The scoring thread's libtorch count is set once, when it starts.
/// </summary>
internal sealed class MicroBatcher : IDisposable
{
    private readonly RowComputation computation;
    private readonly int valuesPerRow;
    private readonly int maxBatch;
    private readonly TimeSpan maxDelay;
    private readonly Channel<Request> queue;
    private readonly Thread worker;
    private Task<bool>? waiting;
    private long requests, batches, largest, delayWaits;
    private int arriving; // callers between entering ComputeAsync and their request being queued
    private int disposed;
    private readonly ManualResetEventSlim open = new(true); // closed only by tests (Hold) to let requests queue up

    public MicroBatcher(CspTransformer transformer, CspBatchPredictorOptions options)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        int? threads = options.Threads ?? transformer.Threads;
        if (options.Threads is int asked && transformer.Threads is int own && asked != own)
            throw new ArgumentException($"The transformer computes with {own} libtorch threads (its TorchThreads setting); Threads = {asked} would change the count every batch. Leave Threads unset or set it to {own}.", nameof(options));
        computation = transformer.Computation();
        valuesPerRow = transformer.ValuesPerRow;
        maxBatch = options.MaxBatchSize;
        maxDelay = options.MaxDelay;
        queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true, FullMode = BoundedChannelFullMode.Wait,
        });
        worker = new Thread(() => Run(threads)) { IsBackground = true, Name = "csp-batch-predictor" };
        worker.Start();
    }

    public CspBatchPredictorStatistics Statistics =>
        new(Interlocked.Read(ref requests), Interlocked.Read(ref batches), (int)Interlocked.Read(ref largest));

    /// <summary>Times the scoring thread waited on the delay for another caller to arrive (for tests: waits a batch needed, not wall time).</summary>
    internal long DelayWaits => Interlocked.Read(ref delayWaits);

    /// <summary>Requests queued and not yet taken into a batch.</summary>
    internal int Queued => queue.Reader.Count;

    /// <summary>Keeps the scoring thread from taking requests until the result is disposed (for tests of batch composition).</summary>
    internal IDisposable Hold()
    {
        open.Reset();
        return new Release(open);
    }

    private sealed class Release(ManualResetEventSlim open) : IDisposable
    {
        public void Dispose() => open.Set();
    }

    /// <summary>Queues one image (preprocessed here, on the caller's thread) and completes with its row of values.</summary>
    public async Task<float[]> ComputeAsync(MLImage image, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(image);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        if (image.Width <= 0 || image.Height <= 0) throw new ArgumentException("The image has no pixels.", nameof(image));
        Interlocked.Increment(ref arriving);
        bool onTheWay = true;
        Request request;
        try
        {
            Tensor input;
            using (torch.NewDisposeScope())
            {
                input = computation.Preprocess(image).DetachFromDisposeScope();
            }
            request = new Request(input, (image.Width, image.Height), cancellationToken);
            // No longer on the way before the request can be seen: the scoring thread must not wait for a caller whose request it holds.
            Interlocked.Decrement(ref arriving);
            onTheWay = false;
            try
            {
                await queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ChannelClosedException)
            {
                input.Dispose();
                if (e is ChannelClosedException) throw new ObjectDisposedException(nameof(CspBatchPredictor<object>), "The predictor was disposed.");
                throw;
            }
        }
        finally
        {
            if (onTheWay) Interlocked.Decrement(ref arriving);
        }
        return await request.Done.Task.ConfigureAwait(false);
    }

    private void Run(int? threads)
    {
        try
        {
            Serve(threads);
        }
        catch (Exception e)
        {
            // Nothing may escape a thread of its own (it would end the process): the queue closes with the cause.
            queue.Writer.TryComplete(e);
            while (queue.Reader.TryRead(out var left))
            {
                left.Input.Dispose();
                left.Done.TrySetException(e);
            }
        }
    }

    private void Serve(int? threads)
    {
        if (threads is int count) TorchThreads.SetForThisThread(count);
        var reader = queue.Reader;
        var batch = new List<Request>(maxBatch);
        while (WaitForWork(reader, Timeout.InfiniteTimeSpan))
        {
            open.Wait();
            long first = 0;
            while (batch.Count < maxBatch)
            {
                if (reader.TryRead(out var next))
                {
                    if (next.Token.IsCancellationRequested)
                    {
                        next.Input.Dispose();
                        next.Done.TrySetCanceled(next.Token);
                        continue;
                    }
                    if (batch.Count == 0) first = Stopwatch.GetTimestamp();
                    batch.Add(next);
                    continue;
                }
                // Wait only while another caller is on its way (a lone request goes at once); the delay counts from the
                // batch's first request, and a full batch goes at once.
                var left = maxDelay - Stopwatch.GetElapsedTime(first);
                if (batch.Count == 0 || Volatile.Read(ref arriving) == 0 || left <= TimeSpan.Zero) break;
                Interlocked.Increment(ref delayWaits);
                if (!WaitForWork(reader, left)) break;
            }
            if (batch.Count > 0) Compute(batch);
            batch.Clear();
        }
        while (reader.TryRead(out var left))
        {
            left.Input.Dispose();
            left.Done.TrySetException(new ObjectDisposedException(nameof(CspBatchPredictor<object>), "The predictor was disposed."));
        }
    }

    /// <summary>Whether a request is queued within <paramref name="wait"/> (false on timeout or when the queue closed).</summary>
    private bool WaitForWork(ChannelReader<Request> reader, TimeSpan wait)
    {
        waiting ??= reader.WaitToReadAsync().AsTask(); // one wait at a time: one that timed out is kept for the next call
        if (wait != Timeout.InfiniteTimeSpan && !waiting.Wait(wait)) return false;
        bool more = waiting.GetAwaiter().GetResult();
        waiting = null;
        return more;
    }

    private void Compute(List<Request> batch)
    {
        var values = new float[batch.Count * valuesPerRow];
        try
        {
            using var scope = torch.NewDisposeScope();
            var images = torch.stack(batch.Select(r => r.Input).ToArray());
            computation.Compute(images, batch.Select(r => r.Size).ToArray(), values);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            foreach (var r in batch) r.Done.TrySetException(e);
            return;
        }
        finally
        {
            foreach (var r in batch) r.Input.Dispose();
        }
        Interlocked.Add(ref requests, batch.Count);
        Interlocked.Increment(ref batches);
        if (batch.Count > Interlocked.Read(ref largest)) Interlocked.Exchange(ref largest, batch.Count);
        for (int i = 0; i < batch.Count; i++) batch[i].Done.TrySetResult(values.AsSpan(i * valuesPerRow, valuesPerRow).ToArray());
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        queue.Writer.TryComplete();
        open.Set();
        worker.Join();
        open.Dispose();
    }

    private sealed record Request(Tensor Input, (int Width, int Height) Size, CancellationToken Token)
    {
        public TaskCompletionSource<float[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
