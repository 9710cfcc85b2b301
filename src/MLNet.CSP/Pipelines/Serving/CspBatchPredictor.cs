namespace MLNet.CSP.Pipelines.Serving;

/// <summary>
/// Scores images for many concurrent callers (e.g. the requests of a web app) with dynamic batching: requests that arrive
/// together share one forward pass (up to <see cref="CspBatchPredictorOptions.MaxBatchSize"/> images, waiting at most
/// <see cref="CspBatchPredictorOptions.MaxDelay"/> for company), each caller gets its own image's result. One scoring thread
/// runs every forward pass with libtorch's thread count set once; images are decoded and preprocessed on the callers' threads.
/// Thread-safe; create one per model and share it (a singleton). It does not own the transformer: dispose this first, then
/// the transformer. An image's scores do not depend on what else shares its pass beyond float rounding: libtorch's CPU kernels
/// sum a row in an order that depends on the batch's size and the row's place in it, so scores can differ in the last bits
/// (measured: up to 1 unit in the 7th significant digit) from the same image's scores computed alone.
/// </summary>
/// <typeparam name="TResult">What one image gives (class scores, detections, a feature vector).</typeparam>
public abstract class CspBatchPredictor<TResult> : IDisposable
{
    private readonly MicroBatcher batcher;

    private protected CspBatchPredictor(CspTransformer transformer, CspBatchPredictorOptions? options)
    {
        ArgumentNullException.ThrowIfNull(transformer);
        batcher = new MicroBatcher(transformer, options ?? new CspBatchPredictorOptions());
    }

    /// <summary>Images and batches computed so far.</summary>
    public CspBatchPredictorStatistics Statistics => batcher.Statistics;

    internal MicroBatcher Batcher => batcher;

    /// <summary>Scores a decoded image (any size; the caller keeps and disposes it).</summary>
    /// <param name="image">The image.</param>
    /// <param name="cancellationToken">Cancels the request while it waits in the queue.</param>
    public async Task<TResult> PredictAsync(MLImage image, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var values = await batcher.ComputeAsync(image, cancellationToken).ConfigureAwait(false);
        return Interpret(values, image.Width, image.Height);
    }

    /// <summary>
    /// Scores an encoded image (PNG, JPEG, BMP, GIF, WEBP bytes, as uploaded). Bytes that are empty, not an image or cut
    /// short throw <see cref="InvalidDataException"/> saying so, before anything is queued.
    /// </summary>
    /// <param name="encoded">The file's bytes.</param>
    /// <param name="cancellationToken">Cancels the request while it waits in the queue.</param>
    public async Task<TResult> PredictAsync(ReadOnlyMemory<byte> encoded, CancellationToken cancellationToken = default)
    {
        using var image = ImageTensors.Decode(encoded.Span);
        return await PredictAsync(image, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Scores a decoded image, blocking until its batch is computed.</summary>
    /// <param name="image">The image.</param>
    public TResult Predict(MLImage image) => PredictAsync(image).GetAwaiter().GetResult();

    /// <summary>One image's result from its row of the transformer's computed values and its original size.</summary>
    private protected abstract TResult Interpret(float[] values, int width, int height);

    /// <summary>Finishes the batch being computed, fails requests still queued with <see cref="ObjectDisposedException"/>, stops the scoring thread.</summary>
    public void Dispose()
    {
        batcher.Dispose();
        GC.SuppressFinalize(this);
    }
}
