namespace MLNet.CSP.Pipelines.Data;

/// <summary>
/// Reads images ahead of the consuming cursor with a second cursor over the same data (same order, image column
/// only), computes one batch at a time, and hands out rows in order. Every row is checked against the consuming
/// cursor's row id, so features can never drift away from the other columns of their row.
/// </summary>
internal sealed class BatchedFeatureSource : IDisposable
{
    private readonly DataViewRowCursor lookahead;
    private readonly Func<(MLImage Image, bool OwnsImage)> readImage;
    private readonly ValueGetter<DataViewRowId> idGetter;
    private readonly RowComputation computation;
    private readonly int batchSize;
    private readonly float[] values;
    private DataViewRowId[] ids = [];
    private int count;
    private int index = -1;
    private Task<ImageBatch>? pending;

    public BatchedFeatureSource(IDataView source, ColumnMapping mapping, int batchSize, int valuesPerRow, RowComputation computation)
    {
        lookahead = source.GetRowCursor([mapping.ImageColumn]);
        readImage = ImageColumn.CreateReader(lookahead, mapping.ImageColumn, mapping.ImageKind);
        idGetter = lookahead.GetIdGetter();
        this.computation = computation;
        this.batchSize = batchSize;
        ValuesPerRow = valuesPerRow;
        values = new float[batchSize * valuesPerRow];
    }

    public int ValuesPerRow { get; }

    /// <summary>The values of the current row.</summary>
    public ReadOnlySpan<float> Current => values.AsSpan(index * ValuesPerRow, ValuesPerRow);

    /// <summary>Moves to the row with id <paramref name="expected"/>, the consuming cursor's next row.</summary>
    public void MoveNext(DataViewRowId expected)
    {
        if (++index >= count) Fill();
        if (index >= count || !ids[index].Equals(expected))
            throw new InvalidOperationException("The image cursor and the row cursor went out of step; the upstream data view does not return rows in a repeatable order.");
    }

    /// <summary>
    /// Computes the next batch. Decoding and preprocessing the batch after it run on a worker thread meanwhile
    /// (the look-ahead cursor is only ever used by one thread at a time), so image work overlaps the forward pass.
    /// </summary>
    private void Fill()
    {
        var batch = pending is null ? ReadBatch() : pending.GetAwaiter().GetResult();
        pending = null;
        using (batch)
        {
            ids = batch.Ids;
            count = batch.Count;
            index = 0;
            if (count == 0) return;
            if (count == batchSize) pending = Task.Run(ReadBatch);
            computation.Compute(batch.Images!, batch.Sizes, values.AsSpan(0, count * ValuesPerRow));
        }
    }

    private ImageBatch ReadBatch()
    {
        var batchIds = new DataViewRowId[batchSize];
        using var scope = torch.NewDisposeScope();
        var tensors = new List<Tensor>(batchSize);
        var sizes = new List<(int Width, int Height)>(batchSize);
        while (tensors.Count < batchSize && lookahead.MoveNext())
        {
            idGetter(ref batchIds[tensors.Count]);
            var (image, owns) = readImage();
            try
            {
                tensors.Add(computation.Preprocess(image));
                sizes.Add((image.Width, image.Height));
            }
            finally
            {
                if (owns) image.Dispose();
            }
        }
        var images = tensors.Count == 0 ? null : torch.stack(tensors).MoveToOuterDisposeScope();
        return new ImageBatch(images, batchIds, tensors.Count, sizes);
    }

    public void Dispose()
    {
        if (pending is not null)
        {
            try { pending.GetAwaiter().GetResult().Dispose(); }
            catch (Exception) { /* the consumer stopped early; an error in a batch it never reached is moot */ }
            pending = null;
        }
        lookahead.Dispose();
    }

    private sealed record ImageBatch(Tensor? Images, DataViewRowId[] Ids, int Count, IReadOnlyList<(int Width, int Height)> Sizes) : IDisposable
    {
        public void Dispose() => Images?.Dispose();
    }
}
