namespace MLNet.CSP.Pipelines.Data;

/// <summary>
/// The rows of several views one after another, for the columns they share by name and type (the first view's schema and
/// annotations). Streams: a cursor reads each source's cursor in turn.
/// </summary>
internal sealed class ConcatenatedRowsView : IDataView
{
    private readonly IDataView[] sources;

    private ConcatenatedRowsView(DataViewSchema schema, IDataView[] sources)
    {
        Schema = schema;
        this.sources = sources;
    }

    /// <summary>
    /// <paramref name="columns"/> of every source, rows of the first source first. Throws <see cref="ArgumentOutOfRangeException"/>
    /// naming the column when a source lacks one or holds another type.
    /// </summary>
    public static ConcatenatedRowsView Create(MLContext ml, IReadOnlyList<string> columns, params IDataView[] sources)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sources.Length, 1, nameof(sources));
        var selected = new IDataView[sources.Length];
        for (int i = 0; i < sources.Length; i++)
        {
            foreach (var name in columns)
            {
                var column = sources[i].Schema.GetColumnOrNull(name)
                    ?? throw new ArgumentOutOfRangeException(nameof(sources), $"Column '{name}' not found in data set {i + 1} of the ones to concatenate.");
                var expected = sources[0].Schema[name].Type;
                if (!column.Type.Equals(expected))
                    throw new ArgumentOutOfRangeException(nameof(sources), $"Schema mismatch for column '{name}' in data set {i + 1}: expected {expected}, got {column.Type}.");
            }
            selected[i] = ml.Transforms.SelectColumns(columns.ToArray()).Fit(sources[i]).Transform(sources[i]);
        }
        return new ConcatenatedRowsView(selected[0].Schema, selected);
    }

    /// <summary>False: rows keep the sources' order.</summary>
    public bool CanShuffle => false;

    public DataViewSchema Schema { get; }

    public long? GetRowCount()
    {
        long total = 0;
        foreach (var source in sources)
        {
            if (source.GetRowCount() is not long count) return null;
            total += count;
        }
        return total;
    }

    public DataViewRowCursor GetRowCursor(IEnumerable<DataViewSchema.Column> columnsNeeded, Random? rand = null) =>
        new ConcatenatedRowsCursor(Schema, sources, columnsNeeded.Select(c => c.Name).ToList());

    public DataViewRowCursor[] GetRowCursorSet(IEnumerable<DataViewSchema.Column> columnsNeeded, int n, Random? rand = null) =>
        [GetRowCursor(columnsNeeded, rand)];
}
