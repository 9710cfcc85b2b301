namespace MLNet.CSP.Pipelines.Serving;

/// <summary>How a <see cref="CspBatchPredictor{TResult}"/> gathers concurrent requests into batches.</summary>
public sealed class CspBatchPredictorOptions
{
    /// <summary>Most images in one forward pass (1: no batching, requests computed one after another). Default 8.</summary>
    public int MaxBatchSize { get; set; } = 8;

    /// <summary>
    /// Longest a batch waits for more requests, counted from its first request, and only while another caller is on its way
    /// (decoding, preprocessing, queueing): a lone request and a full batch go at once. Default 2 ms (a forward pass of one
    /// image takes 5-100 ms on a CPU, so the wait costs little and gathers what arrives).
    /// </summary>
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMilliseconds(2);

    /// <summary>Requests that may wait in the queue; more callers wait to enqueue (back-pressure). Default 1024.</summary>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>
    /// libtorch threads of the scoring thread, set once when it starts (null: the transformer's own <c>TorchThreads</c>, else
    /// libtorch's default). May not differ from a count the transformer was given.
    /// </summary>
    public int? Threads { get; set; }

    internal void Validate()
    {
        if (MaxBatchSize < 1) throw new ArgumentOutOfRangeException(nameof(MaxBatchSize), MaxBatchSize, "MaxBatchSize must be at least 1.");
        if (MaxDelay < TimeSpan.Zero || MaxDelay > TimeSpan.FromSeconds(10))
            throw new ArgumentOutOfRangeException(nameof(MaxDelay), MaxDelay, "MaxDelay must be between 0 and 10 seconds.");
        if (QueueCapacity < 1) throw new ArgumentOutOfRangeException(nameof(QueueCapacity), QueueCapacity, "QueueCapacity must be at least 1.");
        if (Threads is < 1) throw new ArgumentOutOfRangeException(nameof(Threads), Threads, "Threads must be at least 1 when set.");
    }
}
