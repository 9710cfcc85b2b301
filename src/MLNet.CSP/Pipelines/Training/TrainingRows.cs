namespace MLNet.CSP.Pipelines.Training;

/// <summary>One pass over the training rows: the image column's reader and a reader of each row's checked target.</summary>
internal static class TrainingRows
{
    /// <summary>
    /// Calls <paramref name="onRow"/> for each row with the row itself, a reader of its image (which decodes only when called) and
    /// a reader of its target (given the image's width and height); a bad target fails naming its row.
    /// </summary>
    public static void Read<TTarget, TBatch>(IDataView data, string imageColumn, ImageColumnKind kind, TrainingImageLayout<TTarget, TBatch> layout,
        CancellationToken cancellation, Action<DataViewRow, Func<(MLImage Image, bool OwnsImage)>, Func<int, int, TTarget>> onRow)
    {
        var image = data.Schema[imageColumn];
        using var cursor = data.GetRowCursor([image, .. layout.TargetColumns(data.Schema)]);
        var readImage = ImageColumn.CreateReader(cursor, image, kind);
        var readTarget = layout.BindTargets(cursor);
        while (cursor.MoveNext())
        {
            cancellation.ThrowIfCancellationRequested();
            onRow(cursor, readImage, readTarget);
        }
    }

    /// <summary>Decodes a row's image, hands it to <paramref name="use"/>, and releases it when the reader made it.</summary>
    public static void WithImage(Func<(MLImage Image, bool OwnsImage)> readImage, Action<MLImage> use)
    {
        var (decoded, owns) = readImage();
        try
        {
            use(decoded);
        }
        finally
        {
            if (owns) decoded.Dispose();
        }
    }

    /// <summary>Rows of the view: its own count where it knows it, else one pass over a target column (no image is decoded).</summary>
    public static long Count(IDataView data, DataViewSchema.Column column)
    {
        if (data.GetRowCount() is long known) return known;
        using var cursor = data.GetRowCursor([column]);
        long rows = 0;
        while (cursor.MoveNext()) rows++;
        return rows;
    }
}
