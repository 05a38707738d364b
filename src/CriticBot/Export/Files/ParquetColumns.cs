using System.Collections;
using System.Collections.Concurrent;
using System.Linq.Expressions;
using System.Reflection;
using System.Text.Json.Serialization;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;

namespace CriticBot.Export.Files;

/// <summary>
/// Writes rows of one class as Parquet columns through Parquet.Net's low-level API, with the exact schema its
/// <see cref="ParquetSerializer"/> gives the class (<c>GetParquetSchema(forWriting: true)</c>): for each leaf column
/// the rows are walked once along compiled property getters, and the values (non-null only), definition levels and
/// repetition levels (Dremel's shredding) go into typed buffers reused from one row group to the next. The
/// serializer did the same work through per-row reflection and short-lived memory streams whose finalizers cost a
/// third of its time (docs/performance.md, "Export").
/// </summary>
internal sealed class ParquetColumns
{
    private static readonly ConcurrentDictionary<Type, (ParquetSchema Schema, Func<LeafColumn[]> NewLeaves)> Plans = new();

    private readonly LeafColumn[] _leaves;

    private ParquetColumns(ParquetSchema schema, LeafColumn[] leaves)
    {
        Schema = schema;
        _leaves = leaves;
    }

    public ParquetSchema Schema { get; }

    /// <summary>A writer for rows of <paramref name="rowType"/>: the schema and getters are built once per type, the buffers per instance.</summary>
    public static ParquetColumns For(Type rowType)
    {
        var plan = Plans.GetOrAdd(rowType, static type =>
        {
            var schema = type.GetParquetSchema(true);
            return (schema, () => Plan(type, schema));
        });
        return new ParquetColumns(plan.Schema, plan.NewLeaves());
    }

    /// <summary>Shreds <paramref name="rows"/> column by column and writes them as one row group.</summary>
    public async Task WriteRowGroupAsync(ParquetWriter writer, IReadOnlyList<object> rows, CancellationToken cancellationToken)
    {
        using var group = writer.CreateRowGroup();
        foreach (var leaf in _leaves)
        {
            leaf.Shred(rows);
            await leaf.WriteAsync(group, cancellationToken);
            leaf.Clear();
        }

        group.CompleteValidate();
    }

    private static LeafColumn[] Plan(Type type, ParquetSchema schema)
    {
        var leaves = new List<LeafColumn>();
        foreach (var field in schema.Fields)
        {
            PlanField(type, field, parentDefinition: 0, steps: [], leaves);
        }

        if (leaves.Count != schema.GetDataFields().Length)
        {
            throw new NotSupportedException($"{type.Name}: {leaves.Count} leaf columns planned for {schema.GetDataFields().Length} in the schema.");
        }

        return [.. leaves];
    }

    /// <summary>Plans the leaves under <paramref name="field"/>, a property of <paramref name="owner"/> (or, with a null owner, a list's element itself).</summary>
    private static void PlanField(Type? owner, Field field, int parentDefinition, List<PathStep> steps, List<LeafColumn> leaves)
    {
        var property = owner is null ? null : PropertyOf(owner, field.Name);
        var getter = property is null || field is DataField ? null : ObjectGetter(property);
        var valueType = property is null ? null : System.Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        switch (field)
        {
            case DataField data:
                leaves.Add(LeafColumn.Create(data, property, parentDefinition, [.. steps]));
                break;
            case StructField structField:
            {
                var structType = valueType ?? throw new NotSupportedException($"{field.Name}: a struct needs its class.");
                var inner = new List<PathStep>(steps) { PathStep.Struct(getter, field.MaxDefinitionLevel - parentDefinition) };
                foreach (var child in structField.Fields)
                {
                    PlanField(structType, child, field.MaxDefinitionLevel, inner, leaves);
                }

                break;
            }

            case ListField list:
            {
                var listType = valueType ?? throw new NotSupportedException($"{field.Name}: a list needs its class.");
                var elementType = listType.GetGenericArguments()[0];
                // The list's own level counts the optional list group (when nullable) and the repeated group.
                var inner = new List<PathStep>(steps) { PathStep.List(getter, list.MaxDefinitionLevel - parentDefinition - 1, list.MaxRepetitionLevel) };
                if (list.Item is StructField element)
                {
                    inner.Add(PathStep.Struct(null, element.MaxDefinitionLevel - list.MaxDefinitionLevel));
                    foreach (var child in element.Fields)
                    {
                        PlanField(elementType, child, element.MaxDefinitionLevel, inner, leaves);
                    }
                }
                else if (list.Item is DataField item)
                {
                    leaves.Add(LeafColumn.Create(item, null, list.MaxDefinitionLevel, [.. inner]));
                }
                else
                {
                    throw new NotSupportedException($"{field.Name}: lists of lists are not exported.");
                }

                break;
            }

            default:
                throw new NotSupportedException($"{field.Name}: {field.GetType().Name} is not a field exported rows may hold.");
        }
    }

    private static PropertyInfo PropertyOf(Type owner, string name) =>
        owner.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .FirstOrDefault(p => (p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? p.Name) == name)
        ?? throw new NotSupportedException($"{owner.Name}: no property for the Parquet field {name}.");

    private static Func<object, object?> ObjectGetter(PropertyInfo property) => Getter<object>(property);

    /// <summary>
    /// <c>row =&gt; (TValue)((Owner)row).Property</c>, or for a list's element (no property) <c>row =&gt; (TValue)row</c>:
    /// value-typed leaves read as <c>T?</c> without boxing.
    /// </summary>
    internal static Func<object, TValue> Getter<TValue>(PropertyInfo? property)
    {
        var row = Expression.Parameter(typeof(object), "row");
        Expression value = property is null ? row : Expression.Property(Expression.Convert(row, property.DeclaringType!), property);
        return Expression.Lambda<Func<object, TValue>>(Expression.Convert(value, typeof(TValue)), row).Compile();
    }
}

/// <summary>One step from a row towards a leaf: into a struct (property, or a list's element with no getter) or over a list.</summary>
internal sealed record PathStep(bool IsList, Func<object, object?>? Getter, int DefinitionIncrement, int RepetitionLevel)
{
    public static PathStep Struct(Func<object, object?>? getter, int definitionIncrement) => new(false, getter, definitionIncrement, 0);

    public static PathStep List(Func<object, object?>? getter, int definitionIncrement, int repetitionLevel) => new(true, getter, definitionIncrement, repetitionLevel);
}

/// <summary>One leaf column's buffers: values (defined ones only), definition and repetition levels.</summary>
internal abstract class LeafColumn
{
    private readonly PathStep[] _steps;
    private readonly int _definitionIncrement;
    private int[] _definitions = [];
    private int[] _repetitions = [];

    protected LeafColumn(DataField field, int parentDefinition, PathStep[] steps)
    {
        Field = field;
        _steps = steps;
        _definitionIncrement = field.MaxDefinitionLevel - parentDefinition;
    }

    public DataField Field { get; }

    protected int LevelCount { get; private set; }

    protected int ValueCount { get; set; }

    // Passed even for required, unrepeated columns (all zero): Parquet.Net 6.1 counts a column's rows from its
    // levels and reports 0 rows without them.
    protected ReadOnlyMemory<int>? Definitions => _definitions.AsMemory(0, LevelCount);

    protected ReadOnlyMemory<int>? Repetitions => _repetitions.AsMemory(0, LevelCount);

    /// <param name="property">The leaf's property, or null when the leaf is a list's element itself.</param>
    public static LeafColumn Create(DataField field, PropertyInfo? property, int parentDefinition, PathStep[] steps)
    {
        var type = property is null ? field.ClrType : System.Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
        if (field.ClrType == typeof(ReadOnlyMemory<char>) && (property is null || type == typeof(string)))
        {
            return new StringColumn(field, ParquetColumns.Getter<string?>(property), parentDefinition, steps);
        }

        LeafColumn? column = type == typeof(bool) ? new ValueColumn<bool>(field, ParquetColumns.Getter<bool?>(property), parentDefinition, steps)
            : type == typeof(int) ? new ValueColumn<int>(field, ParquetColumns.Getter<int?>(property), parentDefinition, steps)
            : type == typeof(long) ? new ValueColumn<long>(field, ParquetColumns.Getter<long?>(property), parentDefinition, steps)
            : type == typeof(double) ? new ValueColumn<double>(field, ParquetColumns.Getter<double?>(property), parentDefinition, steps)
            : type == typeof(DateTime) ? new ValueColumn<DateTime>(field, ParquetColumns.Getter<DateTime?>(property), parentDefinition, steps)
            : null;
        if (column is null || field.ClrType != type)
        {
            throw new NotSupportedException($"{field.Name}: a {type.Name} property for a Parquet {field.ClrType.Name} column.");
        }

        return column;
    }

    public void Shred(IReadOnlyList<object> rows)
    {
        for (var i = 0; i < rows.Count; i++)
        {
            Walk(rows[i], 0, 0, 0);
        }
    }

    public abstract Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken);

    public virtual void Clear()
    {
        LevelCount = 0;
        ValueCount = 0;
    }

    /// <summary>Appends the value read from <paramref name="parent"/>, or nothing when it is null; true when it was not.</summary>
    protected abstract bool TryAppendValue(object parent);

    private void Walk(object parent, int stepIndex, int definition, int repetition)
    {
        if (stepIndex == _steps.Length)
        {
            if (TryAppendValue(parent))
            {
                AddLevels(definition + _definitionIncrement, repetition);
            }
            else if (_definitionIncrement == 0)
            {
                throw new InvalidOperationException($"{Field.Path}: a required value is null.");
            }
            else
            {
                AddLevels(definition, repetition);
            }

            return;
        }

        var step = _steps[stepIndex];
        var value = step.Getter is null ? parent : step.Getter(parent);
        if (value is null)
        {
            AddLevels(definition, repetition);
            return;
        }

        definition += step.DefinitionIncrement;
        if (!step.IsList)
        {
            Walk(value, stepIndex + 1, definition, repetition);
            return;
        }

        var list = (IList)value;
        if (list.Count == 0)
        {
            AddLevels(definition, repetition);
            return;
        }

        for (var i = 0; i < list.Count; i++)
        {
            var element = list[i];
            var elementRepetition = i == 0 ? repetition : step.RepetitionLevel;
            if (element is null)
            {
                AddLevels(definition + 1, elementRepetition);
            }
            else
            {
                Walk(element, stepIndex + 1, definition + 1, elementRepetition);
            }
        }
    }

    private void AddLevels(int definition, int repetition)
    {
        if (LevelCount == _definitions.Length)
        {
            var size = Math.Max(1024, _definitions.Length * 2);
            Array.Resize(ref _definitions, size);
            Array.Resize(ref _repetitions, size);
        }

        _definitions[LevelCount] = definition;
        _repetitions[LevelCount] = repetition;
        LevelCount++;
    }

    protected static void Grow<T>(ref T[] buffer, int count)
    {
        if (count == buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(1024, buffer.Length * 2));
        }
    }
}

internal sealed class ValueColumn<T>(DataField field, Func<object, T?> getter, int parentDefinition, PathStep[] steps)
    : LeafColumn(field, parentDefinition, steps) where T : struct
{
    private T[] _values = [];

    public override Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken) =>
        group.WriteAllPartsAsync<T>(Field, _values.AsMemory(0, ValueCount), Definitions, Repetitions, cancellationToken);

    protected override bool TryAppendValue(object parent)
    {
        var value = getter(parent);
        if (value is null)
        {
            return false;
        }

        Grow(ref _values, ValueCount);
        _values[ValueCount++] = value.GetValueOrDefault();
        return true;
    }
}

internal sealed class StringColumn(DataField field, Func<object, string?> getter, int parentDefinition, PathStep[] steps)
    : LeafColumn(field, parentDefinition, steps)
{
    private ReadOnlyMemory<char>[] _values = [];

    public override Task WriteAsync(ParquetRowGroupWriter group, CancellationToken cancellationToken) =>
        group.WriteAllPartsAsync<ReadOnlyMemory<char>>(Field, _values.AsMemory(0, ValueCount), Definitions, Repetitions, cancellationToken);

    public override void Clear()
    {
        // Drop the references so the strings of a written group can be collected.
        Array.Clear(_values, 0, ValueCount);
        base.Clear();
    }

    protected override bool TryAppendValue(object parent)
    {
        if (getter(parent) is not { } value)
        {
            return false;
        }

        Grow(ref _values, ValueCount);
        _values[ValueCount++] = value.AsMemory();
        return true;
    }
}
