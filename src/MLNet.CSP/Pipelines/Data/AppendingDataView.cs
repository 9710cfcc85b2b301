namespace MLNet.CSP.Pipelines.Data;

/// <summary>
/// The lazy, streaming result of a one-to-one image transform: nothing is computed until a cursor reads it,
/// and only one batch of images is held at a time.
/// </summary>
internal sealed class AppendingDataView : IDataView
{
    private readonly IDataView source;
    private readonly ColumnMapping mapping;
    private readonly int batchSize;
    private readonly RowComputation computation;

    public AppendingDataView(IDataView source, ColumnMapping mapping, int batchSize, RowComputation computation)
    {
        this.source = source;
        this.mapping = mapping;
        this.batchSize = batchSize;
        this.computation = computation;
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
            ? new BatchedFeatureSource(source, mapping, batchSize, mapping.ValuesPerRow, computation)
            : null;
        return new AppendingCursor(input, mapping, features, columns);
    }

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
