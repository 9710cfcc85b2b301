namespace MLNet.CSP.Pipelines.Classification;

/// <summary>One pass over the training rows: the image column's reader and the checked 0-based class of every row.</summary>
internal static class TrainingRows
{
    /// <summary>
    /// Calls <paramref name="onRow"/> for each row with the row itself, a reader of its image (which decodes only when called) and
    /// its class; a missing label fails naming its row.
    /// </summary>
    public static void Read(IDataView data, string imageColumn, ImageColumnKind kind, string labelColumn, int classes, CancellationToken cancellation,
        Action<DataViewRow, Func<(MLImage Image, bool OwnsImage)>, long> onRow)
    {
        var image = data.Schema[imageColumn];
        var label = data.Schema[labelColumn];
        using var cursor = data.GetRowCursor([image, label]);
        var readImage = ImageColumn.CreateReader(cursor, image, kind);
        var readLabel = cursor.GetGetter<uint>(label);
        uint key = 0;
        while (cursor.MoveNext())
        {
            cancellation.ThrowIfCancellationRequested();
            readLabel(ref key);
            if (key == 0 || key > classes)
                throw new InvalidDataException($"The label in column '{labelColumn}' at row {cursor.Position} is missing or outside the {classes} known classes.");
            onRow(cursor, readImage, key - 1);
        }
    }

    /// <summary>Rows of the view: its own count where it knows it, else one pass over the label column (no image is decoded).</summary>
    public static long Count(IDataView data, string labelColumn)
    {
        if (data.GetRowCount() is long known) return known;
        using var cursor = data.GetRowCursor([data.Schema[labelColumn]]);
        long rows = 0;
        while (cursor.MoveNext()) rows++;
        return rows;
    }
}
