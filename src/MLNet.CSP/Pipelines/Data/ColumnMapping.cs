namespace MLNet.CSP.Pipelines.Data;

/// <summary>
/// Schema of a one-to-one image transform: every input column passes through, and new columns are appended
/// (a new column hides an input column of the same name). Shared by the data views and the row mappers.
/// </summary>
internal sealed class ColumnMapping
{
    public ColumnMapping(DataViewSchema inputSchema, string imageColumn, ImageColumnKind imageKind,
        IReadOnlyList<AppendedColumn> outputs)
    {
        InputSchema = inputSchema;
        ImageColumn = inputSchema[imageColumn];
        ImageKind = imageKind;
        var builder = new DataViewSchema.Builder();
        builder.AddColumns(inputSchema);
        foreach (var output in outputs) builder.AddColumn(output.Name, output.Type, output.Annotations);
        OutputSchema = builder.ToSchema();
        Outputs = outputs;
        ValuesPerRow = outputs.Max(o => o.Offset + o.Length);
    }

    public DataViewSchema InputSchema { get; }

    public DataViewSchema OutputSchema { get; }

    public DataViewSchema.Column ImageColumn { get; }

    /// <summary>The appended columns, in schema order.</summary>
    public IReadOnlyList<AppendedColumn> Outputs { get; }

    /// <summary>How many values the transform computes per row.</summary>
    public int ValuesPerRow { get; }

    /// <summary>The appended column behind an output-schema column.</summary>
    public AppendedColumn OutputFor(DataViewSchema.Column column) => Outputs[column.Index - FirstOutputIndex];

    public ImageColumnKind ImageKind { get; }

    /// <summary>Index of the first appended column in <see cref="OutputSchema"/>.</summary>
    public int FirstOutputIndex => InputSchema.Count;

    public bool IsOutput(DataViewSchema.Column column) => column.Index >= FirstOutputIndex;

    /// <summary>Input columns needed to serve <paramref name="outputColumns"/>.</summary>
    public IReadOnlyList<DataViewSchema.Column> Dependencies(IEnumerable<DataViewSchema.Column> outputColumns)
    {
        var needed = new SortedDictionary<int, DataViewSchema.Column>();
        foreach (var column in outputColumns)
        {
            if (IsOutput(column)) needed[ImageColumn.Index] = ImageColumn;
            else needed[column.Index] = InputSchema[column.Index];
        }
        return needed.Values.ToList();
    }
}
