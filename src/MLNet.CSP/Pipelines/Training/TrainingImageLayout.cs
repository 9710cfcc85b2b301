namespace MLNet.CSP.Pipelines.Training;

/// <summary>
/// What a task decides about its training images: which columns hold its targets and how a row's target is read (checked,
/// naming the row), how a decoded image is kept between epochs (bytes, 3 x H x W), and how kept images become a batch
/// (augmented for training, plain for evaluation, normalised). The cached and the streamed sets share it, so a seed trains the
/// same model either way.
/// </summary>
/// <typeparam name="TTarget">One image's target.</typeparam>
/// <typeparam name="TBatch">A batch's targets.</typeparam>
internal abstract class TrainingImageLayout<TTarget, TBatch>
{
    /// <summary>Input columns read besides the image.</summary>
    public abstract IEnumerable<DataViewSchema.Column> TargetColumns(DataViewSchema schema);

    /// <summary>
    /// A reader of the current row's target for a cursor over <see cref="TargetColumns"/>; it takes the row's image size (in
    /// original pixels) and throws <see cref="InvalidDataException"/> naming the row and column of a bad value.
    /// </summary>
    public abstract Func<int, int, TTarget> BindTargets(DataViewRowCursor cursor);

    /// <summary>Bytes a kept image is estimated to take (the cache's memory estimate).</summary>
    public abstract long EstimatedBytesPerImage { get; }

    /// <summary>A decoded image as the sets keep it: bytes [3, H, W].</summary>
    public abstract Tensor Store(MLImage image);

    /// <summary>
    /// A batch from kept images (the layout does not own them): augmented with draws from <paramref name="random"/> in row order,
    /// or, when it is null, the evaluation transform.
    /// </summary>
    public abstract (Tensor Images, TBatch Targets) Assemble(IReadOnlyList<(Tensor Pixels, TTarget Target)> rows, Random? random);

    /// <summary>A target as text, for the data's fingerprint.</summary>
    public abstract string Describe(TTarget target);
}
