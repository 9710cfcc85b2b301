namespace MLNet.CSP.Pipelines;

/// <summary>
/// What every MLNet.CSP estimator shares: options validated once at construction, an ML.NET host for logging and the
/// seed, and an output schema that is the input's plus the appended columns (a new column hides an input of the same name).
/// </summary>
/// <typeparam name="TOptions">The options class.</typeparam>
/// <typeparam name="TTransformer">What <see cref="Fit"/> returns.</typeparam>
public abstract class CspEstimator<TOptions, TTransformer> : IEstimator<TTransformer>
    where TOptions : CspNetworkOptions
    where TTransformer : class, ITransformer
{
    /// <summary>The component's ML.NET host (log channel, the MLContext's seed).</summary>
    private protected readonly IHost host;

    /// <summary>The validated options.</summary>
    private protected readonly TOptions options;

    private protected CspEstimator(IHostEnvironment env, TOptions options, string name)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(options);
        host = env.Register(name);
        options.Validate();
        this.options = options;
    }

    /// <inheritdoc />
    public SchemaShape GetOutputSchema(SchemaShape inputSchema)
    {
        ArgumentNullException.ThrowIfNull(inputSchema);
        var columns = inputSchema.ToDictionary(c => c.Name);
        foreach (var column in AppendedColumns(inputSchema)) columns[column.Name] = column;
        return new SchemaShape(columns.Values);
    }

    /// <inheritdoc />
    public abstract TTransformer Fit(IDataView input);

    /// <summary>Checks the input columns the component reads (ML.NET-style schema errors) and returns the columns it appends.</summary>
    private protected abstract IEnumerable<SchemaShape.Column> AppendedColumns(SchemaShape inputSchema);
}
