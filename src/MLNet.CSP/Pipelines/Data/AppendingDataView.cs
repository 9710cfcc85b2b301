using MLNet.CSP.Imaging;

namespace MLNet.CSP.Pipelines.Data;

/// <summary>
/// The lazy, streaming result of a one-to-one image transform: nothing is computed until a cursor reads it,
/// and only one batch of images is held at a time.
/// </summary>
internal sealed class AppendingDataView : IDataView
{
    private readonly IDataView source;
    private readonly ColumnMapping mapping;
    private readonly ImagePreprocessing preprocessing;
    private readonly int batchSize;
    private readonly Action<Tensor, Span<float>> compute;

    public AppendingDataView(IDataView source, ColumnMapping mapping, ImagePreprocessing preprocessing, int batchSize,
        Action<Tensor, Span<float>> compute)
    {
        this.source = source;
        this.mapping = mapping;
        this.preprocessing = preprocessing;
        this.batchSize = batchSize;
        this.compute = compute;
    }

    /// <summary>False: rows keep the source's order, which keeps the look-ahead image cursor in step.</summary>
    public bool CanShuffle => false;

    public DataViewSchema Schema => mapping.OutputSchema;

    public long? GetRowCount() => source.GetRowCount();

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null)
    {
        var columns = columnsNeeded.ToList();
        var inputColumns = columns.Where(c => !mapping.IsOutput(c)).Select(c => source.Schema[c.Index]).ToList();
        var input = source.GetRowCursor(inputColumns);
        BatchedFeatureSource? features = columns.Any(mapping.IsOutput)
            ? new BatchedFeatureSource(source, mapping, preprocessing, batchSize, mapping.ValuesPerRow, compute)
            : null;
        return new AppendingCursor(input, mapping, features, columns);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
