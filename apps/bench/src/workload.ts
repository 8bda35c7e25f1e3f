// The workload contract lives with the model (@khva/workloads); the bench app runs workloads by
// name through it and reports what they return.
export * from '@khva/workloads/contract';
