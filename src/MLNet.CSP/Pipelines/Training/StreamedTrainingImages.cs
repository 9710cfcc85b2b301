namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// The training rows decoded again every epoch: the set keeps, per row, only what it needs to read the image again: the
/// encoded file in memory while those bytes fit a budget (no disk reads after the first pass, about a tenth of the pixels'
/// size for JPEGs), else the name of the file <c>LoadImages</c> read it from; or the bytes of an encoded-bytes column. Each pass decodes and resizes its rows on background workers, a bounded number of batches ahead, in
/// the pass's order; the order and the augmentation are drawn exactly as for the cached set, so a seed trains the same model.
/// Images without a file or bytes (made in memory) are kept decoded.
/// </summary>
internal sealed class StreamedTrainingImages<TTarget, TBatch> : ImageTrainingSet<TTarget, TBatch>
{
    private readonly List<RowSource> sources;
    private readonly int workers;
    private readonly int prefetchBatches;
    private readonly bool skipUnreadable;
    private readonly Action<string>? warn;
    private bool ownsSources = true;

    private StreamedTrainingImages(TrainingImageLayout<TTarget, TBatch> layout, List<TTarget> targets, List<RowSource> sources, int workers, int prefetchBatches,
        bool skipUnreadable, Action<string>? warn) : base(layout, targets)
    {
        this.sources = sources;
        this.workers = workers;
        this.prefetchBatches = prefetchBatches;
        this.skipUnreadable = skipUnreadable;
        this.warn = warn;
    }

    /// <summary>How a row's image is read again.</summary>
    /// <param name="DataRow">The row's position in the data view (a held-out split renumbers the set, not this).</param>
    /// <param name="File">The file the image is read from again, when it has one.</param>
    /// <param name="Encoded">The encoded image kept in memory, when there is room (or a bytes column's bytes).</param>
    /// <param name="Pixels">The decoded image, for rows that cannot be read again.</param>
    private readonly record struct RowSource(long DataRow, string? File, byte[]? Encoded, Tensor? Pixels)
    {
        public string Describe() => File is null ? $"row {DataRow}" : $"row {DataRow} (file '{File}')";
    }

    /// <summary>Tagged rows whose pixels are compared with a fresh decode of their file before the files are trusted.</summary>
    private const int RowsVerifiedAgainstFiles = 8;

    /// <summary>Bytes of encoded images held in memory.</summary>
    public long EncodedBytesInMemory => sources.Sum(s => (long)(s.Encoded?.Length ?? 0));

    /// <summary>Rows whose encoded image is held in memory.</summary>
    public int EncodedInMemory => sources.Count(s => s.Encoded is not null);

    /// <summary>Rows read from their files every epoch.</summary>
    public int ReadFromFiles => sources.Count(s => s.File is not null && s.Encoded is null);

    /// <summary>Rows whose images are held decoded in memory (no file or bytes to read them again from).</summary>
    public int HeldInMemory => sources.Count(s => s.Pixels is not null);

    /// <summary>Images left out of the last pass because they could not be read (with <c>SkipUnreadableImages</c>).</summary>
    public int SkippedLastPass { get; private set; }

    /// <summary>
    /// Reads the targets and where each image comes from, keeping encoded files in memory up to <paramref name="encodedBudget"/>
    /// bytes; a bad target or an unreadable image fails naming its row.
    /// </summary>
    public static StreamedTrainingImages<TTarget, TBatch> Read(IDataView data, string imageColumn, ImageColumnKind kind, TrainingImageLayout<TTarget, TBatch> layout,
        int workers, bool skipUnreadable, Action<string>? warn, CancellationToken cancellation, long encodedBudget = 0)
    {
        var targets = new List<TTarget>();
        var sources = new List<RowSource>();
        var result = new StreamedTrainingImages<TTarget, TBatch>(layout, targets, sources, workers, CspDefaults.PrefetchBatches, skipUnreadable, warn);
        try
        {
            if (kind == ImageColumnKind.EncodedBytes)
            {
                ValueGetter<VBuffer<byte>>? bytes = null;
                VBuffer<byte> buffer = default;
                TrainingRows.Read(data, imageColumn, kind, layout, cancellation, (row, readImage, readTarget) =>
                {
                    // Decodes once, so a damaged image fails here naming its row, as when caching; the target needs its size.
                    using (var decoded = readImage().Image) targets.Add(readTarget(decoded.Width, decoded.Height));
                    bytes ??= row.GetGetter<VBuffer<byte>>(data.Schema[imageColumn]);
                    bytes(ref buffer);
                    sources.Add(new RowSource(row.Position, null, buffer.DenseValues().ToArray(), null));
                });
                return result;
            }
            long kept = 0;
            int verified = 0;
            bool? filesMatch = null;
            TrainingRows.Read(data, imageColumn, kind, layout, cancellation, (row, readImage, readTarget) => TrainingRows.WithImage(readImage, decoded =>
            {
                var target = readTarget(decoded.Width, decoded.Height);
                long dataRow = row.Position;
                string? file = decoded.Tag is string tag && File.Exists(tag) ? Path.GetFullPath(tag) : null;
                // LoadImages tags an image with its file; a transform after it (a resize, a grey conversion) may keep the
                // tag on other pixels. The first tagged rows are compared with their files before the files are trusted.
                if (file is not null && verified < RowsVerifiedAgainstFiles)
                {
                    bool same = SamePixels(decoded, file);
                    if (filesMatch is bool earlier && earlier != same)
                        throw new InvalidOperationException($"Some images in column '{imageColumn}' equal their files and some do not (row {dataRow}, file '{file}'); " +
                            "streaming cannot tell which to read again. Use CacheMode.Always.");
                    filesMatch = same;
                    verified++;
                }
                if (file is not null && filesMatch == true)
                {
                    long length = new FileInfo(file).Length;
                    byte[]? bytes = length <= encodedBudget - kept ? File.ReadAllBytes(file) : null;
                    kept += bytes?.Length ?? 0;
                    sources.Add(new RowSource(dataRow, file, bytes, null));
                }
                else
                {
                    sources.Add(new RowSource(dataRow, null, null, layout.Store(decoded)));
                }
                targets.Add(target);
            }));
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public override ImageTrainingSet<TTarget, TBatch> Subset(IEnumerable<int> indices)
    {
        var list = indices.ToList();
        return new StreamedTrainingImages<TTarget, TBatch>(Layout, [.. list.Select(i => TargetList[i])], [.. list.Select(i => sources[i])], workers, prefetchBatches, skipUnreadable, warn)
        {
            ownsSources = false,
        };
    }

    private protected override IEnumerable<IReadOnlyList<(int Row, Tensor Pixels)>> Batches(int[] order, int batchSize, bool dropLast)
    {
        int window = workers == 0 ? 1 : Math.Max(workers, prefetchBatches * batchSize);
        var pending = new Queue<(int Row, Task<Tensor> Decoding)>();
        int next = 0, skipped = 0;
        string? firstSkipped = null;
        var batch = new List<(int Row, Tensor Pixels)>(batchSize);
        // The network's libtorch thread count, restored after the pass: each worker runs its own resizes on one thread.
        int threads = torch.get_num_threads();
        // No spare core (workers 0): decode on the training thread, in order, just before each batch; measured faster on two
        // cores than workers, whose CPU time stalls the network's OpenMP team far beyond their own cost.
        using var decoders = workers > 0 ? new DecodeWorkers(workers, Decode) : null;
        try
        {
            while (true)
            {
                while (pending.Count < window && next < order.Length)
                {
                    int row = order[next++];
                    pending.Enqueue((row, decoders is null ? DecodeInline(row) : decoders.Submit(row)));
                }
                if (pending.Count == 0) break;
                var (current, decoding) = pending.Dequeue();
                Tensor pixels;
                try
                {
                    pixels = decoding.GetAwaiter().GetResult();
                }
                catch (Exception e) when (e is not OutOfMemoryException && e is not OperationCanceledException)
                {
                    string where = sources[current].Describe();
                    if (!skipUnreadable)
                        throw new InvalidDataException($"The image of {where} could not be read while streaming: {e.Message} " +
                            "(set SkipUnreadableImages to leave such images out and count them).", e);
                    skipped++;
                    firstSkipped ??= $"{where}: {e.Message}";
                    continue;
                }
                batch.Add((current, pixels));
                if (batch.Count < batchSize) continue;
                var full = batch;
                batch = new List<(int Row, Tensor Pixels)>(batchSize);
                yield return full;
            }
            if (batch.Count > 0 && !dropLast)
            {
                var last = batch;
                batch = [];
                yield return last;
            }
        }
        finally
        {
            foreach (var (_, pixels) in batch) pixels.Dispose();
            decoders?.Stop();
            while (pending.Count > 0)
            {
                var (_, decoding) = pending.Dequeue();
                if (decoding.IsCompletedSuccessfully) decoding.Result.Dispose();
            }
            torch.set_num_threads(threads);
            SkippedLastPass = skipped;
            if (skipped > 0) warn?.Invoke($"{skipped} unreadable image(s) left out of this pass over {order.Length} rows; the first: {firstSkipped}");
        }
    }

    /// <summary>Whether the image the column gave is the one its file decodes to (same size, format and pixels).</summary>
    private static bool SamePixels(MLImage image, string file)
    {
        try
        {
            using var fresh = MLImage.CreateFromFile(file);
            return fresh.Width == image.Width && fresh.Height == image.Height && fresh.PixelFormat == image.PixelFormat &&
                fresh.Pixels.SequenceEqual(image.Pixels);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return false;
        }
    }

    /// <summary>Decodes a row on the calling thread, as a completed (or faulted) task.</summary>
    private Task<Tensor> DecodeInline(int row)
    {
        try
        {
            return Task.FromResult(Decode(row));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Task.FromException<Tensor>(e);
        }
    }

    /// <summary>Decodes and resizes one row's image (on a decode worker, or inline).</summary>
    private Tensor Decode(int row)
    {
        var source = sources[row];
        if (source.Pixels is not null) return source.Pixels.alias();
        if (source.Encoded is { } encoded)
        {
            // A file's bytes decode as LoadImages decodes the file (ML.NET's decoder); a bytes column's as the cached path does.
            // The file's bytes go with the image, so transparent pixels take their stored colour as from the file itself.
            using var fromMemory = source.File is null ? ImageTensors.Decode(encoded)
                : EncodedSources.Attach(MLImage.CreateFromStream(new MemoryStream(encoded, writable: false)), encoded);
            return Layout.Store(fromMemory);
        }
        if (EncodedImageFile.Problem(source.File!) is { } problem)
            throw new InvalidDataException($"the file is truncated or damaged: {problem}");
        using var image = MLImage.CreateFromFile(source.File!);
        return Layout.Store(image);
    }

    /// <inheritdoc />
    public override void Dispose()
    {
        if (!ownsSources) return;
        foreach (var source in sources) source.Pixels?.Dispose();
        sources.Clear();
    }
}
