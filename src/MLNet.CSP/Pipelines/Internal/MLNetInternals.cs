namespace MLNet.CSP.Pipelines.Internal;

/// <summary>
/// The persistence seam: every use of ML.NET members that ML.NET keeps internal goes through this file (and the
/// loader registrations in <see cref="ModelLoaders"/>). A change in ML.NET breaks here, and the tests of
/// <c>MLNetInternalsTests</c> and the save/load tests fail loudly.
/// </summary>
internal static class MLNetInternals
{
    /// <summary>The environment (MLContext) behind a catalog.</summary>
    public static IHostEnvironment GetEnvironment(TransformsCatalog catalog) => CatalogUtils.GetEnvironment(catalog);

    /// <summary>The environment (MLContext) behind a trainers catalog.</summary>
    public static IHostEnvironment GetEnvironment(MulticlassClassificationCatalog.MulticlassClassificationTrainers catalog) =>
        CatalogUtils.GetEnvironment(catalog);

    /// <summary>The environment (MLContext) behind <c>mlContext.Data</c>.</summary>
    public static IHostEnvironment GetEnvironment(DataOperationsCatalog catalog) => CatalogUtils.GetEnvironment(catalog);

    /// <summary>ML.NET's <c>LoadImages</c> applied to a view (files read when a cursor reads the column).</summary>
    public static IDataView LoadImages(IHostEnvironment env, IDataView data, string outputColumnName, string pathColumnName) =>
        new TransformsCatalog(env).LoadImages(outputColumnName, null, pathColumnName).Fit(data).Transform(data);

    /// <summary>MLContext's GPU settings (<c>MLContext.GpuDeviceId</c>, <c>MLContext.FallbackToCpu</c>).</summary>
    public static (int? GpuDeviceId, bool FallbackToCpu) GetGpuSettings(IHostEnvironment env) =>
        env is IHostEnvironmentInternal internalEnv ? (internalEnv.GpuDeviceId, internalEnv.FallbackToCpu) : (null, false);

    /// <summary>A fixed-size vector column of a schema shape.</summary>
    public static SchemaShape.Column VectorColumn(string name, DataViewType itemType) =>
        new(name, SchemaShape.Column.VectorKind.Vector, itemType, false, null);

    /// <summary>A scalar column of a schema shape, optionally key-typed with the given annotations.</summary>
    public static SchemaShape.Column ScalarColumn(string name, DataViewType itemType, bool isKey, SchemaShape? annotations = null) =>
        new(name, SchemaShape.Column.VectorKind.Scalar, itemType, isKey, annotations);

    /// <summary>A vector column of per-row length (keys with annotations, or plain values).</summary>
    public static SchemaShape.Column VariableVectorColumn(string name, DataViewType itemType, bool isKey = false, SchemaShape? annotations = null) =>
        new(name, SchemaShape.Column.VectorKind.VariableVector, itemType, isKey, annotations);

    /// <summary>A vector column with annotations.</summary>
    public static SchemaShape.Column VectorColumn(string name, DataViewType itemType, SchemaShape annotations) =>
        new(name, SchemaShape.Column.VectorKind.Vector, itemType, false, annotations);

    /// <summary>Writes a model entry: version header, fields, then named binary streams.</summary>
    public static void Save(ModelSaveContext ctx, ModelVersion version, Action<BinaryWriter> writeFields,
        params (string Name, Action<BinaryWriter> Write)[] streams)
    {
        ctx.CheckAtModel();
        ctx.SetVersionInfo(version.ToVersionInfo());
        writeFields(ctx.Writer);
        foreach (var (name, write) in streams) ctx.SaveBinaryStream(name, write);
    }

    /// <summary>Reads what <see cref="Save"/> wrote; a missing stream is reported with its name.</summary>
    public static T Load<T>(ModelLoadContext ctx, ModelVersion version, Func<BinaryReader, Func<string, BinaryReader>, T> read) =>
        Load(ctx, version, (reader, openStream, _) => read(reader, openStream));

    /// <summary>The same, telling the reader which format version the entry was written in.</summary>
    public static T Load<T>(ModelLoadContext ctx, ModelVersion version, Func<BinaryReader, Func<string, BinaryReader>, uint, T> read)
    {
        ctx.CheckAtModel(version.ToVersionInfo());
        var opened = new List<MemoryStream>();
        try
        {
            BinaryReader OpenStream(string name)
            {
                MemoryStream? copy = null;
                if (!ctx.TryLoadBinaryStream(name, r =>
                    {
                        copy = new MemoryStream();
                        r.BaseStream.CopyTo(copy);
                        copy.Position = 0;
                    }) || copy is null)
                    throw new InvalidDataException($"The model file has no '{name}' stream for {version.LoaderSignature}; it is truncated or not written by MLNet.CSP.");
                opened.Add(copy);
                return new BinaryReader(copy);
            }
            return read(ctx.Reader, OpenStream, ctx.Header.ModelVerWritten);
        }
        finally
        {
            foreach (var s in opened) s.Dispose();
        }
    }
}
