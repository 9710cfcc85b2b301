namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// Reads a training (or validation) view as a cached or a streamed set, as <see cref="CspTrainingOptions.CacheMode"/>
/// says; under <see cref="CspCacheMode.Auto"/> it caches while the estimated cache fits the memory budget. The choice and its
/// numbers go to ML.NET's log.
/// </summary>
internal static class TrainingSetReader
{
    /// <summary>The memory budget of <see cref="CspCacheMode.Auto"/>: the option, else a share of the memory available to the process.</summary>
    public static long Budget(CspTrainingOptions options) =>
        options.CacheMemoryBudgetBytes ?? (long)(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes * CspDefaults.CacheMemoryFraction);

    /// <summary>
    /// Reads <paramref name="data"/> as a cached or streamed set; under Auto what it keeps in memory is taken from
    /// <paramref name="budget"/> (shared by the training and the validation set).
    /// </summary>
    public static ImageTrainingSet<TTarget, TBatch> Read<TTarget, TBatch>(IHost host, CspTrainingOptions options, IDataView data, ImageColumnKind kind,
        TrainingImageLayout<TTarget, TBatch> layout, string what, ref long budget)
    {
        using var channel = host.Start("Data");
        bool cache = options.CacheMode switch
        {
            CspCacheMode.Always => true,
            CspCacheMode.Never => false,
            _ => Fits(data, layout, channel, what, budget),
        };
        if (cache)
        {
            var cached = CachedTrainingImages<TTarget, TBatch>.Read(data, options.ImageColumnName, kind, layout, options.CancellationToken);
            channel.Info($"Cached {cached.Count:N0} {what} images in memory ({Megabytes(cached.Bytes)}).");
            budget = Math.Max(0, budget - cached.Bytes);
            return cached;
        }
        int workers = options.DecodeWorkers ?? DefaultDecodeWorkers(options.TorchThreads ?? torch.get_num_threads());
        // Under Auto the budget the pixels did not fit holds the encoded files instead (no disk reads after the first pass);
        // Never keeps nothing but file names.
        long encodedBudget = options.CacheMode == CspCacheMode.Auto ? budget : 0;
        var streamed = StreamedTrainingImages<TTarget, TBatch>.Read(data, options.ImageColumnName, kind, layout, workers,
            options.SkipUnreadableImages, message => { using var warnings = host.Start("Data"); warnings.Warning(message); }, options.CancellationToken, encodedBudget);
        string decoding = workers == 0 ? "on the training thread before each batch" : $"on {workers} worker thread(s), {CspDefaults.PrefetchBatches} batches ahead";
        channel.Info($"Streaming {streamed.Count:N0} {what} images: decoded every epoch {decoding}; " +
            $"{streamed.EncodedInMemory:N0} encoded in memory ({Megabytes(streamed.EncodedBytesInMemory)}), {streamed.ReadFromFiles:N0} read from their files" +
            (streamed.HeldInMemory > 0 ? $", {streamed.HeldInMemory:N0} without a file (or unlike their files) held decoded." : "."));
        budget = Math.Max(0, budget - streamed.EncodedBytesInMemory);
        return streamed;
    }

    /// <summary>
    /// Decode workers for a core count: the cores libtorch's threads leave free. None on a machine whose cores all train (two
    /// cores, two threads): there workers' CPU time stalls the network's OpenMP team, measured slower than decoding inline.
    /// </summary>
    public static int DefaultDecodeWorkers(int torchThreads) => Math.Max(0, Environment.ProcessorCount - torchThreads);

    private static bool Fits<TTarget, TBatch>(IDataView data, TrainingImageLayout<TTarget, TBatch> layout, IChannel channel, string what, long budget)
    {
        long rows = TrainingRows.Count(data, layout.TargetColumns(data.Schema).First());
        long estimate = rows * layout.EstimatedBytesPerImage;
        bool fits = estimate <= budget;
        channel.Info($"Cache mode Auto: {rows:N0} {what} images need about {Megabytes(estimate)} cached, " +
            $"the budget is {Megabytes(budget)}: {(fits ? "caching" : "streaming")}.");
        return fits;
    }

    private static string Megabytes(long bytes) => $"{bytes / 1048576.0:N1} MB";
}
